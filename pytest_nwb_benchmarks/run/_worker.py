"""Measuring processes: each round of each benchmark runs in a process of its own, as under asv.

A fresh process per round keeps the state that libraries hold per process (filesystem
instance caches, HTTP sessions, HDF5 handles) from leaking from one benchmark into the next
(a forked child first calls the resets registered with :mod:`._child_reset`),
lets a benchmark that exceeds its ``timeout`` be stopped, and gives ``peakmem_`` benchmarks a
process of their own to measure.

Two launch methods:

- ``fork`` (default where available): the child is a copy of the pytest process, with the
  benchmark module already imported, so it starts in about a millisecond;
- ``spawn``: a new interpreter that imports only this package's measuring modules and the
  benchmark module (used for ``peakmem_``, whose reading must not include pytest's memory,
  and everywhere ``fork`` is unavailable).

The child reports one pickled :class:`Response` through a pipe (fork) or a file (spawn).
"""

from __future__ import annotations

import importlib
import inspect
import os
import pickle
import select
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_nwb_benchmarks.collect._benchmark import Benchmark
from pytest_nwb_benchmarks.run._child_reset import run_child_resets
from pytest_nwb_benchmarks.run._measure import RoundResult, describe_error, format_user_traceback, measure_round
from pytest_nwb_benchmarks.run._precision import PrecisionSettings

CACHE_FILE_NAME = "cache.pickle"


@dataclass
class Request:
    """What a measuring process must do.

    Attributes
    ----------
    action : str
        ``"measure"`` (one round of one combination) or ``"setup_cache"``.
    module_name : str
        The importable name of the benchmark module.
    class_name : str or None
        The benchmark class, or None for a module-level function.
    func_name : str
        The benchmark function or method.
    benchmark_name : str
        The benchmark id.
    root_package : str or None
        The benchmark root package.
    combination_index : int
        Which parameter combination (``measure`` only).
    overrides : dict
        Attributes that win over the benchmark's own (a calibrated ``number``, debug settings).
    setup_semantics : str
        ``"call"`` or ``"sample"``.
    work_dir : str or None
        The working directory: the setup_cache folder when there is one, else a fresh temp dir.
    has_cache : bool
        Whether ``work_dir`` holds a setup_cache value to load.
    sys_path : list of str
        The parent's ``sys.path``, so a spawned interpreter imports the same modules.
    import_root : str or None
        The folder the benchmark module is imported from (the parent of its root package); a
        spawned interpreter puts it first on ``sys.path`` so that the same module is found.
    precision : PrecisionSettings or None
        Precision-driven sampling for this round (its share of the time budget), or None for asv's ``repeat``.
    prior_samples : list of float
        The samples earlier rounds of the same combination took (the stopping rule counts them).
    """

    action: str
    module_name: str
    class_name: str | None
    func_name: str
    benchmark_name: str
    root_package: str | None
    combination_index: int = 0
    overrides: dict[str, Any] = field(default_factory=dict)
    setup_semantics: str = "call"
    work_dir: str | None = None
    has_cache: bool = False
    sys_path: list[str] = field(default_factory=list)
    import_root: str | None = None
    precision: PrecisionSettings | None = None
    prior_samples: list[float] = field(default_factory=list)


@dataclass
class Response:
    """What a measuring process reports: a round result and how long the process worked."""

    result: RoundResult
    duration: float = 0.0


def default_launch_method() -> str:
    """``fork`` where the platform has it, else ``spawn``."""
    return "fork" if hasattr(os, "fork") else "spawn"


def execute(request: Request) -> Response:
    """Carry out a request in this process (the child's side).

    Parameters
    ----------
    request : Request
        What to do.

    Returns
    -------
    Response
        The result; failures are reported in it, never raised.
    """
    started = time.perf_counter()
    try:
        run_child_resets()
        if request.work_dir:
            os.chdir(request.work_dir)
        module = importlib.import_module(request.module_name)
        benchmark = Benchmark.load(
            module,
            request.class_name,
            request.func_name,
            request.benchmark_name,
            request.root_package,
            request.overrides,
        )
        if request.action == "setup_cache":
            result = _run_setup_cache(benchmark)
        else:
            result = measure_here(
                benchmark,
                request.combination_index,
                has_cache=request.has_cache,
                setup_semantics=request.setup_semantics,
                precision=request.precision,
                prior=request.prior_samples,
            )
    except BaseException as error:  # noqa: BLE001 - everything is reported to the parent
        result = RoundResult("failed", message=describe_error(error), details=format_user_traceback(error))
    return Response(result, time.perf_counter() - started)


def measure_here(
    benchmark: Benchmark,
    combination_index: int,
    *,
    has_cache: bool,
    setup_semantics: str,
    precision: PrecisionSettings | None = None,
    prior: Sequence[float] = (),
    raise_errors: bool = False,
) -> RoundResult:
    """Measure one round of one combination in this process, in the current folder.

    The setup_cache value, when the benchmark has one, is read from :data:`CACHE_FILE_NAME` there;
    the other arguments are :func:`~pytest_nwb_benchmarks.run._measure.measure_round`'s.
    """
    cache = None
    if has_cache:
        with open(CACHE_FILE_NAME, "rb") as stream:
            cache = pickle.load(stream)
    combination = benchmark.combinations()[combination_index] if benchmark.params else ()
    return measure_round(
        benchmark,
        combination,
        cache,
        has_cache=has_cache,
        setup_semantics=setup_semantics,
        raise_errors=raise_errors,
        precision=precision,
        prior=prior,
    )


def _run_setup_cache(benchmark: Benchmark) -> RoundResult:
    # Parameter-free setups run before setup_cache, as asv_runner does.
    for hook in benchmark.setups:
        try:
            if not inspect.signature(hook).parameters:
                hook()
        except (TypeError, ValueError):
            continue
    value = benchmark.setup_cache()
    with open(CACHE_FILE_NAME, "wb") as stream:
        pickle.dump(value, stream)
    return RoundResult("passed")


def _timeout_response(timeout: float, what: str) -> Response:
    return Response(
        RoundResult(
            "failed",
            message=f"timed out: ran longer than the timeout of {timeout:g} s and was stopped ({what})",
        ),
        timeout,
    )


def _lost_response(status: int, what: str) -> Response:
    if os.WIFSIGNALED(status):
        cause = f"was killed by signal {os.WTERMSIG(status)}"
    else:
        cause = f"exited with code {os.WEXITSTATUS(status) if os.WIFEXITED(status) else status}"
    return Response(RoundResult("failed", message=f"the process measuring {what} {cause} before reporting"))


def _launch_fork(request: Request, timeout: float) -> Response:
    sys.stdout.flush()
    sys.stderr.flush()
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the measuring process
        code = 0
        try:
            os.close(read_fd)
            payload = pickle.dumps(execute(request))
            with os.fdopen(write_fd, "wb") as pipe:
                pipe.write(payload)
        except BaseException:  # noqa: BLE001
            code = 1
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    os.close(write_fd)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                return _timeout_response(timeout, request.benchmark_name)
            ready, _, _ = select.select([read_fd], [], [], min(remaining, 1.0))
            if ready:
                chunk = os.read(read_fd, 1 << 16)
                if not chunk:
                    break
                chunks.append(chunk)
    except BaseException:
        # Ctrl-C or an error in the parent: never leave the child running.
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except OSError:
            pass
        raise
    finally:
        os.close(read_fd)
    _, status = os.waitpid(pid, 0)
    if not chunks:
        return _lost_response(status, request.benchmark_name)
    return pickle.loads(b"".join(chunks))


def _launch_spawn(request: Request, timeout: float) -> Response:
    request.sys_path = list(sys.path)
    with tempfile.TemporaryDirectory(prefix="nwb-bench-response-") as folder:
        response_path = Path(folder) / "response.pickle"
        process = subprocess.Popen(
            [sys.executable, "-m", "pytest_nwb_benchmarks.run._worker", str(response_path)], stdin=subprocess.PIPE
        )
        try:
            process.stdin.write(pickle.dumps(request))
            process.stdin.close()
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            return _timeout_response(timeout, request.benchmark_name)
        except BaseException:
            process.kill()
            process.wait()
            raise
        if not response_path.exists():
            status = process.returncode
            return _lost_response(-status if status < 0 else status << 8, request.benchmark_name)
        return pickle.loads(response_path.read_bytes())


def launch(request: Request, timeout: float, method: str | None = None) -> Response:
    """Run a request in a new process and wait for its response, at most ``timeout`` seconds.

    Parameters
    ----------
    request : Request
        What to do.
    timeout : float
        Seconds before the process is killed and the request reported as timed out.
    method : {"fork", "spawn"}, optional
        How to start the process; :func:`default_launch_method` by default.

    Returns
    -------
    Response
        The child's response, or a failure describing a timeout or a lost process.
    """
    method = method or default_launch_method()
    if request.work_dir is None:
        with tempfile.TemporaryDirectory(prefix="nwb-bench-") as work_dir:
            request.work_dir = work_dir
            try:
                return launch(request, timeout, method)
            finally:
                request.work_dir = None
    if method == "fork":
        return _launch_fork(request, timeout)
    return _launch_spawn(request, timeout)


def _main_spawned(response_path: str) -> int:
    request: Request = pickle.loads(sys.stdin.buffer.read())
    sys.path[:] = [entry for entry in request.sys_path if entry not in sys.path] + sys.path
    if request.import_root:
        sys.path.insert(0, request.import_root)
    response = execute(request)
    temporary = response_path + ".tmp"
    with open(temporary, "wb") as stream:
        pickle.dump(response, stream)
    os.replace(temporary, response_path)
    return 0


if __name__ == "__main__":
    # Run through the importable module, so that pickled classes name it rather than __main__.
    from pytest_nwb_benchmarks.run import _worker

    sys.exit(_worker._main_spawned(sys.argv[1]))
