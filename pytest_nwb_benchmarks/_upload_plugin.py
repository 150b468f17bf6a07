"""Uploading result files to the results server: the pytest side (``--nwb-upload``)."""
