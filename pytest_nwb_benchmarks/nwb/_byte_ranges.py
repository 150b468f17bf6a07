"""The physical limit of a slice: exactly the bytes of the file that HDF5 must read to return it.

:func:`needed_byte_ranges` works them out from the dataset's storage layout (the chunk index, or the
offset of a contiguous dataset); :func:`needed_zarr_chunks` does the same for a Zarr array. Reading those
ranges and nothing else (see :mod:`._range_reading`) is the fastest any reader can fetch the slice's
bytes, so the suite reports every method relative to it.

Ranges are ``(offset, length)`` pairs in bytes, sorted by offset, with touching ranges merged.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any


def needed_byte_ranges(dataset: Any, selection: Sequence[slice] | slice) -> list[tuple[int, int]]:
    """Return the byte ranges of the file that reading ``dataset[selection]`` needs.

    For a chunked dataset without filters only the touched part of each chunk is counted (HDF5 reads
    those spans directly); with any filter (gzip, shuffle, ...) whole chunks are counted, since a chunk
    must be read entirely to be decoded. Chunks that were never written (fill value) need no bytes.

    Parameters
    ----------
    dataset : h5py.Dataset
        An open dataset.
    selection : tuple of slice, or slice
        A hyperslab with step 1 (``None`` bounds allowed), one slice per dimension or fewer.

    Returns
    -------
    list of (int, int)
        ``(offset, length)`` pairs, sorted and merged where they touch.

    Raises
    ------
    ValueError
        If the selection has a step other than 1, or more slices than the dataset has dimensions.
    """
    shape = tuple(int(n) for n in dataset.shape)
    bounds = _normalise_selection(selection, shape)
    if any(lo >= hi for lo, hi in bounds):
        return []
    itemsize = int(dataset.dtype.itemsize)
    if dataset.chunks is None:
        offset = dataset.id.get_offset()
        if offset is None:  # storage never allocated: everything is the fill value
            return []
        return merge_ranges(_row_major_runs(shape, bounds, itemsize, int(offset)))
    chunks = tuple(int(n) for n in dataset.chunks)
    filtered = dataset.id.get_create_plist().get_nfilters() > 0
    ranges: list[tuple[int, int]] = []
    first = [lo // c for (lo, _), c in zip(bounds, chunks)]
    last = [(hi - 1) // c for (_, hi), c in zip(bounds, chunks)]
    for index in itertools.product(*(range(a, b + 1) for a, b in zip(first, last))):
        origin = tuple(i * c for i, c in zip(index, chunks))
        info = dataset.id.get_chunk_info_by_coord(origin)
        if info.byte_offset is None:  # unallocated chunk
            continue
        if filtered:
            ranges.append((int(info.byte_offset), int(info.size)))
            continue
        # Uncompressed chunks are stored whole (edge chunks too), row-major in the chunk's own shape.
        inner = [(max(lo, o) - o, min(hi, o + c) - o) for (lo, hi), o, c in zip(bounds, origin, chunks)]
        ranges.extend(_row_major_runs(chunks, inner, itemsize, int(info.byte_offset)))
    return merge_ranges(ranges)


def needed_zarr_chunks(store: Path, array_path: str, selection: Sequence[slice] | slice) -> list[tuple[str, int]]:
    """Return the chunk objects of a Zarr v2 array (in a local store) that reading ``selection`` needs.

    A Zarr chunk is one object, fetched and decoded whole, so its whole size counts whatever part of it
    the slice touches. Chunks never written (the fill value) need nothing.

    Parameters
    ----------
    store : pathlib.Path
        The store folder.
    array_path : str
        The array's path inside the store, e.g. ``"acquisition/ElectricalSeries/data"``.
    selection : tuple of slice, or slice
        A hyperslab with step 1.

    Returns
    -------
    list of (str, int)
        ``(key relative to the store, size in bytes)`` pairs, in chunk order.

    Raises
    ------
    ValueError
        If the array has no ``.zarray`` or the selection is not a step-1 hyperslab.
    """
    import json

    folder = Path(store) / array_path
    try:
        meta = json.loads((folder / ".zarray").read_text())
    except (OSError, ValueError) as error:
        raise ValueError(f"{folder} is not a Zarr v2 array ({error})") from None
    shape, chunks = tuple(meta["shape"]), tuple(meta["chunks"])
    separator = meta.get("dimension_separator") or "."
    bounds = _normalise_selection(selection, shape)
    if any(lo >= hi for lo, hi in bounds):
        return []
    ranges = [range(lo // c, (hi - 1) // c + 1) for (lo, hi), c in zip(bounds, chunks)]
    needed = []
    for index in itertools.product(*ranges):
        key = separator.join(str(i) for i in index) if index else "0"
        path = folder.joinpath(*key.split("/"))
        if path.is_file():
            needed.append((f"{array_path}/{key}", path.stat().st_size))
    return needed


def _normalise_selection(selection: Sequence[slice] | slice, shape: tuple[int, ...]) -> list[tuple[int, int]]:
    if isinstance(selection, slice):
        selection = (selection,)
    selection = tuple(selection)
    if len(selection) > len(shape):
        raise ValueError(f"selection {selection!r} has {len(selection)} slices; the dataset has {len(shape)} dims")
    bounds = []
    for dim, n in enumerate(shape):
        part = selection[dim] if dim < len(selection) else slice(None)
        if not isinstance(part, slice):
            raise ValueError(f"selection {selection!r}: dimension {dim} is {part!r}, expected a slice")
        start, stop, step = part.indices(n)
        if step != 1:
            raise ValueError(f"selection {selection!r}: dimension {dim} has step {step}; only step 1 is supported")
        bounds.append((start, max(start, stop)))
    return bounds


def _row_major_runs(
    block: Sequence[int], bounds: Sequence[tuple[int, int]], itemsize: int, base: int
) -> list[tuple[int, int]]:
    """Contiguous byte runs of the box ``bounds`` inside a row-major ``block`` stored at ``base``."""
    ndim = len(block)
    # The trailing dimensions that the box covers entirely fold into one run with the last partial one.
    split = ndim - 1
    while split > 0 and bounds[split] == (0, block[split]):
        split -= 1
    inner = 1
    for n in block[split + 1 :]:
        inner *= n
    run_len = (bounds[split][1] - bounds[split][0]) * inner * itemsize
    strides = [0] * ndim
    stride = itemsize
    for dim in range(ndim - 1, -1, -1):
        strides[dim] = stride
        stride *= block[dim]
    start_in_split = bounds[split][0] * strides[split]
    runs = []
    for outer in itertools.product(*(range(lo, hi) for lo, hi in bounds[:split])):
        offset = base + start_in_split + sum(i * s for i, s in zip(outer, strides))
        runs.append((offset, run_len))
    return runs


def merge_ranges(ranges: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sort ``(offset, length)`` ranges and merge those that overlap or touch.

    Parameters
    ----------
    ranges : iterable of (int, int)
        Ranges in any order.

    Returns
    -------
    list of (int, int)
        Sorted, disjoint, non-touching ranges covering the same bytes.
    """
    merged: list[list[int]] = []
    for offset, length in sorted(ranges):
        if length <= 0:
            continue
        if merged and offset <= merged[-1][0] + merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], offset + length - merged[-1][0])
        else:
            merged.append([offset, length])
    return [(offset, length) for offset, length in merged]


def total_bytes(ranges: Iterable[tuple[int, int]]) -> int:
    """Return the number of bytes in ``ranges`` (assumed disjoint)."""
    return sum(length for _, length in ranges)
