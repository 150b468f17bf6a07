"""Writing one synthetic NWB file with pynwb: deterministic data, fixed object ids, the DANDI chunk shapes."""

from __future__ import annotations

import uuid
import warnings
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pytest_nwb_benchmarks.nwb._nwb_specs import (
    _ECEPHYS_CHANNELS,
    _GZIP_LEVEL,
    _OBJECT_ID_NAMESPACE,
    _SEED,
    GENERATOR_VERSION,
    NWBFileSpec,
    _icephys_name,
)


def _synthetic_iterator_class() -> type:
    """Build the chunk iterator class lazily (hdmf is a heavy import)."""
    import numpy as np
    from hdmf.data_utils import GenericDataChunkIterator

    class SyntheticDataIterator(GenericDataChunkIterator):
        """Deterministic noise, made one buffer at a time so the whole array is never in memory.

        Each buffer is drawn from a generator seeded by (seed, stream, buffer start), so the data do not
        depend on the order in which buffers are asked for.
        """

        def __init__(
            self,
            shape: tuple[int, ...],
            dtype: str,
            stream: int,
            loc: float,
            scale: float,
            bar: Any,
            **kwargs: Any,
        ) -> None:
            self._shape = tuple(shape)
            self._dtype = np.dtype(dtype)
            self._stream = stream
            self._loc = loc
            self._scale = scale
            self._bar = bar
            super().__init__(**kwargs)

        def _get_data(self, selection: tuple[slice, ...]) -> Any:
            starts = tuple(int(s.start or 0) for s in selection)
            shape = tuple(int(s.stop) - start for s, start in zip(selection, starts))
            rng = np.random.default_rng((_SEED, self._stream, *starts))
            values = rng.standard_normal(shape, dtype=np.float32)
            values *= self._scale
            values += self._loc
            data = values.astype(self._dtype)
            self._bar.update(data.nbytes)
            return data

        def _get_maxshape(self) -> tuple[int, ...]:
            return self._shape

        def _get_dtype(self) -> Any:
            return self._dtype

    return SyntheticDataIterator


def _series_data(
    spec: NWBFileSpec,
    iterator_class: type,
    bar: Any,
    *,
    stream: int,
    loc: float,
    scale: float,
    buffer: tuple[int, ...] | None = None,
) -> Any:
    """A series' data: its synthetic iterator (one chunk per buffer unless ``buffer``), compressed as the spec says.

    One chunk per buffer keeps memory to a few tens of MB whatever the profile.
    """
    from hdmf.backends.hdf5 import H5DataIO

    iterator = iterator_class(
        spec.shape,
        spec.dtype,
        stream=stream,
        loc=loc,
        scale=scale,
        bar=bar,
        chunk_shape=spec.chunks,
        buffer_shape=spec.chunks if buffer is None else buffer,
        display_progress=False,
    )
    if spec.compression == "gzip":
        return H5DataIO(data=iterator, compression="gzip", compression_opts=_GZIP_LEVEL)
    return H5DataIO(data=iterator)


def _new_nwbfile(spec: NWBFileSpec) -> Any:
    from pynwb import NWBFile

    # Fixed dates and identifier: nothing in the file depends on when or where it was made.
    when = datetime(2024, 1, 1, tzinfo=timezone.utc)
    return NWBFile(
        session_description=f"Synthetic {spec.case} data for the NWB benchmarks ({spec.profile} profile).",
        identifier=f"nwb-benchmarks-{spec.case}-{spec.compression}-{spec.profile}-v{GENERATOR_VERSION}",
        session_start_time=when,
        file_create_date=[when],
    )


def write_nwb(spec: NWBFileSpec, path: Path, bar: Any) -> None:
    from pynwb import NWBHDF5IO

    nwbfile = _new_nwbfile(spec)
    builder = {"ecephys": _add_ecephys, "ophys": _add_ophys, "icephys": _add_icephys}[spec.case]
    builder(spec, nwbfile, _synthetic_iterator_class(), bar)
    _fix_object_ids(spec, nwbfile)
    with warnings.catch_warnings():
        # The partial file's name does not end in ".nwb" on purpose (see _partial_prefix).
        warnings.filterwarnings("ignore", message=".*does not end in '.nwb'")
        with NWBHDF5IO(str(path), mode="w") as io:
            io.write(nwbfile)


def _fix_object_ids(spec: NWBFileSpec, nwbfile: Any) -> None:
    """Replace hdmf's random object ids by ids derived from the file and each object's place in it.

    Object ids are the only random bytes in a generated file; with them fixed, two generations of the same
    spec are byte-identical, so their checksums agree across machines. hdmf keeps the id in a private
    attribute; if a future hdmf renames it, the files stay valid and only lose byte-identity.
    """
    attribute = "_AbstractContainer__object_id"
    for index, container in enumerate([nwbfile, *nwbfile.all_children()]):
        if hasattr(container, attribute):
            key = f"{spec.relative_path}:{GENERATOR_VERSION}:{index}:{type(container).__name__}:{container.name}"
            setattr(container, attribute, str(uuid.uuid5(_OBJECT_ID_NAMESPACE, key)))


def _add_ecephys(spec: NWBFileSpec, nwbfile: Any, iterator_class: type, bar: Any) -> None:
    from pynwb.ecephys import ElectricalSeries

    device = nwbfile.create_device(name="NeuropixelsProbe", description="synthetic 384-channel probe")
    group = nwbfile.create_electrode_group(
        name="ElectrodeGroup", description="all channels", location="unknown", device=device
    )
    for channel in range(_ECEPHYS_CHANNELS):
        nwbfile.add_electrode(group=group, location="unknown", x=0.0, y=float(channel) * 20.0, z=0.0)
    region = nwbfile.create_electrode_table_region(list(range(_ECEPHYS_CHANNELS)), "all electrodes")
    series = ElectricalSeries(
        name=spec.nwb_object_name,
        data=_series_data(spec, iterator_class, bar, stream=1, loc=0.0, scale=25.0),
        electrodes=region,
        rate=30000.0,
        starting_time=0.0,
        conversion=2.34e-6,
    )
    nwbfile.add_acquisition(series)


def _add_ophys(spec: NWBFileSpec, nwbfile: Any, iterator_class: type, bar: Any) -> None:
    from pynwb.ophys import OpticalChannel, TwoPhotonSeries

    device = nwbfile.create_device(name="Microscope", description="synthetic two-photon microscope")
    channel = OpticalChannel(name="OpticalChannel", description="green channel", emission_lambda=510.0)
    plane = nwbfile.create_imaging_plane(
        name="ImagingPlane",
        optical_channel=channel,
        imaging_rate=30.0,
        description="synthetic imaging plane",
        device=device,
        excitation_lambda=920.0,
        indicator="GCaMP6f",
        location="unknown",
    )
    series = TwoPhotonSeries(
        name=spec.nwb_object_name,
        data=_series_data(spec, iterator_class, bar, stream=2, loc=1000.0, scale=25.0),
        imaging_plane=plane,
        rate=30.0,
        starting_time=0.0,
        unit="n.a.",
    )
    nwbfile.add_acquisition(series)


def _add_icephys(spec: NWBFileSpec, nwbfile: Any, iterator_class: type, bar: Any) -> None:
    import numpy as np
    from pynwb.icephys import CurrentClampSeries, CurrentClampStimulusSeries

    device = nwbfile.create_device(name="Amplifier", description="synthetic patch-clamp amplifier")
    electrode = nwbfile.create_icephys_electrode(name="Electrode", description="synthetic pipette", device=device)
    # Buffers of 16 chunks: few iterator calls per series, small memory.
    buffer = (min(spec.shape[0], spec.chunks[0] * 16),)
    for sweep in range(spec.series_count):
        stimulus = CurrentClampStimulusSeries(
            name=_icephys_name(sweep, "DA0"),
            data=_series_data(spec, iterator_class, bar, stream=1_000_000 + sweep, loc=0.0, scale=1e-10, buffer=buffer),
            electrode=electrode,
            gain=1.0,
            rate=20000.0,
            starting_time=float(sweep) * 5.0,
            sweep_number=np.uint32(sweep),
        )
        response = CurrentClampSeries(
            name=_icephys_name(sweep, "AD0"),
            data=_series_data(
                spec, iterator_class, bar, stream=2_000_000 + sweep, loc=-0.065, scale=0.002, buffer=buffer
            ),
            electrode=electrode,
            gain=1.0,
            rate=20000.0,
            starting_time=float(sweep) * 5.0,
            sweep_number=np.uint32(sweep),
        )
        nwbfile.add_stimulus(stimulus)
        nwbfile.add_acquisition(response)
        nwbfile.add_intracellular_recording(electrode=electrode, stimulus=stimulus, response=response)
