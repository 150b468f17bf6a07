"""One small function per way of opening an NWB (HDF5) file, locally or streamed.

Every ``read_hdf5_h5py_<method>`` returns a tuple whose first element is the open :class:`h5py.File`;
every ``read_hdf5_pynwb_<method>`` returns one whose first element is the read :class:`pynwb.NWBFile`.
The other elements are everything that must stay alive while the file is in use (the ``NWBHDF5IO``, the
byte stream, the filesystem, the remfile disk cache, a temporary directory). Pass the whole tuple to
:func:`close_opened` when done: it closes them in the one safe order.

The settings that change the results several-fold are fixed here as module constants and reported by
:func:`reader_settings`, for the run to record in its result file's metadata:

* ``RDCC_NBYTES``: h5py's chunk cache. HDF5 reads a chunk larger than the cache straight into the
  output (only the touched spans for uncompressed data), and a smaller one through the cache (whole).
* ``FSSPEC_BLOCK_SIZE`` / ``FSSPEC_CACHE_TYPE``: fsspec's HTTP read-ahead.
* ``S3FS_BLOCK_SIZE`` / ``S3FS_CACHE_TYPE``: s3fs's; s3fs's own default block (50 MiB) would make the
  S3 path move ten times the bytes of the HTTPS path, so both use fsspec's HTTP block size.
* ``REMFILE_*``: remfile's first request size, its read-ahead growth and its threads.

The values are each library's defaults written out (apart from the s3fs block size), so the suite
measures what a user gets out of the box, and a change of default upstream cannot change it silently.
"""

from pytest_nwb_benchmarks.nwb import _reader_common, _readers_fsspec, _readers_remfile
from pytest_nwb_benchmarks.nwb._reader_common import *  # noqa: F403 - this module gathers the readers
from pytest_nwb_benchmarks.nwb._readers_fsspec import *  # noqa: F403
from pytest_nwb_benchmarks.nwb._readers_remfile import *  # noqa: F403

__all__ = [*_reader_common.__all__, *_readers_fsspec.__all__, *_readers_remfile.__all__]
