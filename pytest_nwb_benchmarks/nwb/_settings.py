"""The NWB suite's settings: one frozen object, parsed once, handed to child processes as one JSON variable.

Each setting has one parser and one documented environment variable that users may set as an input:

=================  ===================================  ====================  =========================
field              environment variable                 option / ini          default
=================  ===================================  ====================  =========================
profile            ``NWB_BENCHMARKS_PROFILE``           ``--nwb-profile``     ``default``
target             ``NWB_BENCHMARKS_TARGET``            ``--nwb-target``      ``local``
latencies_ms       ``NWB_BENCHMARKS_LATENCIES``         ``--nwb-latencies``   the profile's: ``20``, small ``0,20``
network            ``NWB_BENCHMARKS_NETWORK``           ``--nwb-network``     ``library``
network_interface  ``NWB_BENCHMARKS_NETWORK_INTERFACE``                       ``lo`` (tshark's default)
dandi_api          ``NWB_BENCHMARKS_DANDI_API``                               the public DANDI API
server             ``NWB_BENCHMARKS_SERVER``                                  none (set by the session)
=================  ===================================  ====================  =========================

A pytest session resolves them with :meth:`SuiteSettings.from_config` (option > environment > ini > default)
and exports the result as ``NWB_BENCHMARKS_SETTINGS`` (JSON) for the forked and asv-spawned processes that run
the benchmarks. Code reads them only through :func:`current_settings`: the exported JSON when present, else the
per-field variables above.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from pytest_nwb_benchmarks.nwb._server_info import SERVER_ENV, ServerInfo

SETTINGS_ENV = "NWB_BENCHMARKS_SETTINGS"
PROFILES = ("small", "default")
#: each profile's latencies when none are given: the default profile measures at a cloud-like 20 ms
#: only (both latencies double its run to about 45 minutes on 2 cores); the small profile, for checks
#: and tests, keeps both so that every code path runs
PROFILE_LATENCIES: dict[str, str] = {"small": "0,20", "default": "20"}
TARGETS = ("local", "dandi")
NETWORK_METHODS = ("library", "proxy", "tshark")
DANDI_API = "https://api.dandiarchive.org/api"


@dataclass(frozen=True)
class NameChoice:
    """A parser for one closed set of names: any case, surrounding blanks ignored.

    Attributes
    ----------
    what : str
        What the names are, for the error message (``"profile"``).
    accepted : tuple of str
        The names, lowercase.
    """

    what: str
    accepted: tuple[str, ...]

    def __call__(self, text: str) -> str:
        """Return the accepted name ``text`` stands for.

        Raises
        ------
        ValueError
            If it is none of them (the message lists them).
        """
        value = str(text).strip().lower()
        if value not in self.accepted:
            raise ValueError(f"unknown {self.what} {text!r}; accepted: {', '.join(self.accepted)}")
        return value


#: size profile of the synthetic files: ``small`` or ``default``
parse_profile = NameChoice("profile", PROFILES)
#: where the benchmarks read from: ``local`` or ``dandi``
parse_target = NameChoice("target", TARGETS)
#: how network traffic is counted: ``library``, ``proxy`` or ``tshark``
parse_network = NameChoice("network tracking method", NETWORK_METHODS)


def parse_latencies(value: str | tuple[int, ...] | list[int]) -> tuple[int, ...]:
    """Parse per-request latencies: ``"0,20"`` or ``[0, 20]`` into ``(0, 20)``.

    Parameters
    ----------
    value : str or sequence of int
        Comma-separated text, or the numbers themselves: distinct, non-negative whole milliseconds.

    Returns
    -------
    tuple of int
        The latencies in the given order.

    Raises
    ------
    ValueError
        If the value is not such a list.
    """
    parts = [part.strip() for part in value.split(",") if part.strip()] if isinstance(value, str) else list(value)
    try:
        numbers = tuple(_whole_number(part) for part in parts)
    except (TypeError, ValueError):
        numbers = ()
    if not numbers or any(number < 0 for number in numbers) or len(set(numbers)) != len(numbers):
        raise ValueError(f"latencies must be distinct, non-negative whole milliseconds such as '0,20', got {value!r}")
    return numbers


def _whole_number(part: Any) -> int:
    if isinstance(part, bool) or (isinstance(part, float) and not part.is_integer()):
        raise ValueError(part)
    if isinstance(part, str) and not part.isdigit():
        raise ValueError(part)
    return int(part)


def _text(value: str) -> str:
    return str(value).strip()


def _server(value: str) -> ServerInfo | None:
    return ServerInfo.from_json(value) if str(value).strip() else None


@dataclass(frozen=True)
class _Field:
    """How one setting is read: its environment variable, option/ini name, parser and default."""

    env: str
    parse: Callable[[str], Any]
    default: str
    option: str | None = None


_FIELDS: dict[str, _Field] = {
    "profile": _Field("NWB_BENCHMARKS_PROFILE", parse_profile, "default", "nwb_profile"),
    "target": _Field("NWB_BENCHMARKS_TARGET", parse_target, "local", "nwb_target"),
    # "" stands for the profile's own latencies (PROFILE_LATENCIES)
    "latencies_ms": _Field("NWB_BENCHMARKS_LATENCIES", parse_latencies, "", "nwb_latencies"),
    "network": _Field("NWB_BENCHMARKS_NETWORK", parse_network, "library", "nwb_network"),
    "network_interface": _Field("NWB_BENCHMARKS_NETWORK_INTERFACE", _text, ""),
    "dandi_api": _Field("NWB_BENCHMARKS_DANDI_API", _text, DANDI_API),
    "server": _Field(SERVER_ENV, _server, ""),
}


#: option (and ini) name -> its environment variable, for the settings that have an option
OPTION_VARIABLES: dict[str, str] = {spec.option: spec.env for spec in _FIELDS.values() if spec.option}


def _parsed(name: str, text: str, source: str, values: Mapping[str, Any] | None = None) -> Any:
    if not text and name == "latencies_ms":
        text, source = PROFILE_LATENCIES[(values or {}).get("profile", "default")], "the profile's default"
    try:
        return _FIELDS[name].parse(text)
    except ValueError as error:
        raise ValueError(f"{source}: {error}") from None


@dataclass(frozen=True)
class SuiteSettings:
    """The NWB suite's settings for one session.

    Attributes
    ----------
    profile : str
        Size profile of the synthetic NWB files (:data:`PROFILES`).
    target : str
        Where the benchmarks read from (:data:`TARGETS`).
    latencies_ms : tuple of int
        The local server's per-request latencies, one port each.
    network : str
        How ``track_network_`` benchmarks count traffic (:data:`NETWORK_METHODS`).
    network_interface : str
        The tshark capture interface; empty for tshark's default (``lo``).
    dandi_api : str
        The DANDI API base URL (target ``dandi``), without a trailing slash.
    server : ServerInfo or None
        The streaming server the session started, once it runs.
    """

    profile: str = "default"
    target: str = "local"
    latencies_ms: tuple[int, ...] = (20,)
    network: str = "library"
    network_interface: str = ""
    dandi_api: str = DANDI_API
    server: ServerInfo | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "dandi_api", (self.dandi_api or DANDI_API).rstrip("/"))

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> SuiteSettings:
        """Read the settings a process was handed, else the per-field environment variables.

        Parameters
        ----------
        environ : mapping of str to str or None
            The environment; ``None`` for :data:`os.environ`.

        Returns
        -------
        SuiteSettings
            The settings.

        Raises
        ------
        ValueError
            If a variable holds an invalid value (the message names the variable).
        """
        environ = os.environ if environ is None else environ
        exported = environ.get(SETTINGS_ENV, "").strip()
        if exported:
            return cls.from_json(exported)
        values = {}
        for name, spec in _FIELDS.items():
            text = environ.get(spec.env, "").strip()
            values[name] = _parsed(name, text or spec.default, f"environment variable {spec.env}", values)
        return cls(**values)

    @classmethod
    def from_config(cls, config: Any) -> SuiteSettings:
        """Resolve the settings of a pytest session: option, else environment variable, else ini, else default.

        Parameters
        ----------
        config : pytest.Config
            The session's configuration (the suite's options registered, see :mod:`._plugin`).

        Returns
        -------
        SuiteSettings
            The settings, without a server.

        Raises
        ------
        ValueError
            If a value is invalid (the message names the option or variable it came from).
        """
        values = {}
        for name, spec in _FIELDS.items():
            if name == "server":
                continue
            text, source = spec.default, "default"
            ini = _ini_value(config, spec.option)
            if ini:
                text, source = ini, f"ini option {spec.option}"
            if os.environ.get(spec.env, "").strip():
                text, source = os.environ[spec.env], f"environment variable {spec.env}"
            option = config.getoption(spec.option, None) if spec.option else None
            if option is not None and str(option).strip():
                text, source = str(option), "--" + spec.option.replace("_", "-")
            values[name] = _parsed(name, str(text).strip(), source, values)
        return cls(**values)

    @classmethod
    def from_json(cls, text: str) -> SuiteSettings:
        """Read settings written by :meth:`to_json`.

        Raises
        ------
        ValueError
            If the text is not such settings.
        """
        try:
            payload = json.loads(text)
            known = {item.name for item in fields(cls)}
            if not isinstance(payload, dict) or set(payload) - known:
                raise ValueError(f"expected an object with the keys {sorted(known)}")
            server = payload.get("server")
            payload["server"] = ServerInfo.from_json(json.dumps(server)) if server else None
            profile = payload.get("profile", "default")
            payload["latencies_ms"] = parse_latencies(
                payload.get("latencies_ms") or PROFILE_LATENCIES.get(profile, "20")
            )
            return cls(**payload)
        except (TypeError, ValueError) as error:
            raise ValueError(f"environment variable {SETTINGS_ENV} is malformed: {error}") from None

    def to_json(self) -> str:
        """Serialise to one line of JSON (the value of ``NWB_BENCHMARKS_SETTINGS``).

        Returns
        -------
        str
            The JSON text.
        """
        payload = asdict(self)
        payload["latencies_ms"] = list(self.latencies_ms)
        payload["server"] = json.loads(self.server.to_json()) if self.server is not None else None
        return json.dumps(payload, sort_keys=True)

    def with_server(self, server: ServerInfo | None) -> SuiteSettings:
        """Return a copy that names a running streaming server (or none)."""
        return replace(self, server=server)


def _ini_value(config: Any, name: str | None) -> str:
    if name is None:
        return ""
    try:
        value = config.getini(name)
    except (ValueError, KeyError):
        return ""  # not registered: the suite's plugin is not loaded in this session
    return str(value or "").strip()


_WATCHED = (SETTINGS_ENV, *(spec.env for spec in _FIELDS.values()))


def current_settings() -> SuiteSettings:
    """The settings in effect in this process (parsed once per distinct environment).

    Returns
    -------
    SuiteSettings
        From ``NWB_BENCHMARKS_SETTINGS`` when a session handed it over, else from the per-field variables.

    Raises
    ------
    ValueError
        If a variable holds an invalid value (the message names the variable).
    """
    return _settings_for(tuple(os.environ.get(name) for name in _WATCHED))


@functools.lru_cache(maxsize=8)
def _settings_for(values: tuple[str | None, ...]) -> SuiteSettings:
    return SuiteSettings.from_environ({name: value for name, value in zip(_WATCHED, values) if value is not None})
