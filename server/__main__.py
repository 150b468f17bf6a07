"""``python -m server``: run the results server (waitress; Flask's debug server when debugging)."""

from __future__ import annotations

import argparse
import logging
import sys

from server import create_app
from server._stores import redact_url


def main(argv: list[str] | None = None) -> int:
    """Run the server until interrupted.

    Parameters
    ----------
    argv : list of str, optional
        Command-line arguments (``--host``, ``--port``, ``--threads``).

    Returns
    -------
    int
        The exit code.
    """
    parser = argparse.ArgumentParser(prog="python -m server", description="Run the NWB benchmarks results server.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=5000, help="port to listen on (default: 5000)")
    parser.add_argument(
        "--threads", type=int, default=32, help="worker threads of waitress (default: 32; uploads mostly wait on git)"
    )
    args = parser.parse_args(argv)
    # waitress reports where it listens (and its errors) through logging: show them.
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    app = create_app()
    service = app.extensions["nwb_benchmarks"]
    print(f"results server: data in {service.config.home}", file=sys.stderr)
    print(f"  results store remote: {redact_url(service.results.remote_url)}", file=sys.stderr)
    print(f"  database store remote: {redact_url(service.database.remote_url)}", file=sys.stderr)
    if service.config.debug:
        print("  debug mode: uploads are validated, nothing is committed or pushed", file=sys.stderr)
        app.run(host=args.host, port=args.port, debug=True, use_reloader=False)
        return 0
    import waitress

    waitress.serve(app, host=args.host, port=args.port, threads=args.threads)
    return 0


if __name__ == "__main__":
    sys.exit(main())
