"""The Arrow tables of a chunk, built from the rows of some runs already in the order of the chunk's files.

The ``samples`` file of a chunk is sorted by benchmark, parameter key, variable, run and sample
index (see :data:`server._dataset.CHUNK_TABLES`). The first four are the key of a *series* (one
run's samples of one quantity) and a series' samples are stored in the order of their index, so
sorting the few series (about a thousand per run) gives the order of the samples (about ten
thousand per run): the samples are then gathered with one ``take`` of precomputed positions,
instead of sorting every sample by five columns of which four are text. Text columns of the samples
are dictionary arrays over the series' values, so a chunk of a million samples holds no text per sample.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from server._database import RunRows
from server._dataset import RUNS_SCHEMA, SAMPLES_SCHEMA, SERIES_SCHEMA, sort_keys

_KEY_COLUMNS = ("benchmark", "params", "variable", "unit")
_RUN_COLUMNS = ("machine", "environment", "commit", "timestamp", "run")


def chunk_tables(runs: list[RunRows]) -> dict[str, pa.Table]:
    """The ``samples``, ``series`` and ``runs`` rows of some runs, as Arrow tables sorted as their files.

    Per run and series: the number of samples, their median, quartiles (linear interpolation, as
    numpy, pandas and DuckDB's ``quantile_cont`` compute them), extremes and mean. Plots and
    comparisons read these, not the samples.

    Parameters
    ----------
    runs : list of RunRows
        The runs, each with a distinct ``run``.

    Returns
    -------
    dict of str to pyarrow.Table
        ``samples``, ``series`` and ``runs``, each in the order of :data:`server._dataset.CHUNK_TABLES`.
    """
    keys = [key for rows in runs for key in rows.keys]
    counts = _concatenate([rows.counts for rows in runs], np.int64)
    values = _concatenate([rows.values for rows in runs], np.float64)
    indices = _concatenate([rows.indices for rows in runs], np.int64)
    per_run = np.array([len(rows.keys) for rows in runs], dtype=np.int64)
    stats = _statistics(values, counts)
    columns: dict[str, Any] = {"samples": counts}
    columns.update({name: stats[:, k] for k, name in enumerate(("q1", "median", "q3", "min", "max", "mean"))})
    for k, name in enumerate(_KEY_COLUMNS):
        columns[name] = pa.array([key[k] for key in keys], type=pa.string())
    run_table = pa.Table.from_pylist([rows.run for rows in runs], schema=RUNS_SCHEMA)
    for name in _RUN_COLUMNS:
        columns[name] = run_table.column(name).combine_chunks().take(pa.array(np.repeat(np.arange(len(runs)), per_run)))
    series = pa.table({name: columns[name] for name in SERIES_SCHEMA.names}, schema=SERIES_SCHEMA)
    # A series is one run's samples of one (benchmark, params, variable): its key and run are
    # unique in the chunk, and its samples are in the order of their index already.
    order = pc.sort_indices(series, sort_keys=sort_keys("samples")[:-1]).to_numpy()
    ordered_counts = counts[order]
    starts = np.cumsum(counts) - counts
    # Position, in ``values``, of each sample in the order of the file.
    ends = np.cumsum(ordered_counts)
    positions = np.repeat(starts[order] - (ends - ordered_counts), ordered_counts) + np.arange(len(values))
    series_of_sample = pa.array(np.repeat(order, ordered_counts))
    samples = {name: _repeated(series.column(name), series_of_sample) for name in (*_KEY_COLUMNS, *_RUN_COLUMNS)}
    samples.update(value=pa.array(values[positions]), sample_index=pa.array(indices[positions]))
    return {
        "samples": pa.table({name: samples[name] for name in SAMPLES_SCHEMA.names}),
        "series": series.sort_by(sort_keys("series")),
        "runs": run_table.sort_by(sort_keys("runs")),
    }


def _repeated(column: pa.ChunkedArray, positions: pa.Array) -> pa.Array:
    """``column.take(positions)``; text as a dictionary of the column's values (no text is copied per sample).

    Parquet stores text dictionary-encoded anyway: pyarrow writes a dictionary array as it is,
    instead of hashing every value again, and the file's column is text as before (the chunk's
    files are written without pyarrow's schema: see :func:`server._dataset.write_chunk`).
    """
    if not pa.types.is_string(column.type):
        return column.take(positions)
    encoded = pc.dictionary_encode(column).combine_chunks()
    return pa.DictionaryArray.from_arrays(encoded.indices.take(positions), encoded.dictionary)


def _concatenate(arrays: list[np.ndarray], dtype: type) -> np.ndarray:
    return np.concatenate(arrays) if arrays else np.array([], dtype=dtype)


def _statistics(values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Quartiles, median, extremes and mean of each series (``counts`` values each, end to end in ``values``).

    One vectorized pass per series length, over a block of the series of that length.
    """
    stats = np.empty((len(counts), 6))
    starts = np.cumsum(counts) - counts
    for length in np.unique(counts):
        positions = np.flatnonzero(counts == length)
        block = values[starts[positions][:, None] + np.arange(length)]
        q1, median, q3 = np.percentile(block, [25, 50, 75], axis=1)
        stats[positions] = np.column_stack([q1, median, q3, block.min(axis=1), block.max(axis=1), block.mean(axis=1)])
    return stats
