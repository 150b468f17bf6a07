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

from pytest_nwb_benchmarks.nwb._reader_common import (
    FSSPEC_BLOCK_SIZE,
    FSSPEC_CACHE_TYPE,
    RDCC_NBYTES,
    REMFILE_BYTES_PER_THREAD,
    REMFILE_CHUNK_INCREMENT_FACTOR,
    REMFILE_MAX_CHUNK_SIZE,
    REMFILE_MAX_THREADS,
    REMFILE_MIN_CHUNK_SIZE,
    ROS3_AWS_REGION,
    S3FS_BLOCK_SIZE,
    S3FS_CACHE_TYPE,
    close_opened,
    get_object_by_name,
    read_hdf5_h5py_local,
    read_hdf5_pynwb_local,
    reader_settings,
    require_ros3,
    ros3_available,
)
from pytest_nwb_benchmarks.nwb._readers_fsspec import (
    read_hdf5_h5py_fsspec_https_no_cache,
    read_hdf5_h5py_fsspec_https_with_cache,
    read_hdf5_h5py_fsspec_s3_no_cache,
    read_hdf5_h5py_fsspec_s3_with_cache,
    read_hdf5_pynwb_fsspec_https_no_cache,
    read_hdf5_pynwb_fsspec_https_with_cache,
    read_hdf5_pynwb_fsspec_s3_no_cache,
    read_hdf5_pynwb_fsspec_s3_with_cache,
)
from pytest_nwb_benchmarks.nwb._readers_remfile import (
    read_hdf5_h5py_remfile_no_cache,
    read_hdf5_h5py_remfile_with_cache,
    read_hdf5_h5py_ros3,
    read_hdf5_pynwb_remfile_no_cache,
    read_hdf5_pynwb_remfile_with_cache,
    read_hdf5_pynwb_ros3,
)

__all__ = [
    "RDCC_NBYTES",
    "FSSPEC_BLOCK_SIZE",
    "FSSPEC_CACHE_TYPE",
    "S3FS_BLOCK_SIZE",
    "S3FS_CACHE_TYPE",
    "REMFILE_MIN_CHUNK_SIZE",
    "REMFILE_MAX_CHUNK_SIZE",
    "REMFILE_CHUNK_INCREMENT_FACTOR",
    "REMFILE_MAX_THREADS",
    "REMFILE_BYTES_PER_THREAD",
    "ROS3_AWS_REGION",
    "ros3_available",
    "require_ros3",
    "get_object_by_name",
    "reader_settings",
    "close_opened",
    "read_hdf5_h5py_local",
    "read_hdf5_pynwb_local",
    "read_hdf5_h5py_fsspec_https_no_cache",
    "read_hdf5_pynwb_fsspec_https_no_cache",
    "read_hdf5_h5py_fsspec_https_with_cache",
    "read_hdf5_pynwb_fsspec_https_with_cache",
    "read_hdf5_h5py_fsspec_s3_no_cache",
    "read_hdf5_pynwb_fsspec_s3_no_cache",
    "read_hdf5_h5py_fsspec_s3_with_cache",
    "read_hdf5_pynwb_fsspec_s3_with_cache",
    "read_hdf5_h5py_remfile_no_cache",
    "read_hdf5_pynwb_remfile_no_cache",
    "read_hdf5_h5py_remfile_with_cache",
    "read_hdf5_pynwb_remfile_with_cache",
    "read_hdf5_h5py_ros3",
    "read_hdf5_pynwb_ros3",
]
