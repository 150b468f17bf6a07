"""The NWB benchmarks results server: receives result files, keeps them in git, shows them.

Start it from the repository root with ``python -m server`` or ``flask --app server run``; in
production, ``waitress-serve --call server:create_app``. See ``docs/server.rst``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, g, request
from werkzeug.exceptions import HTTPException

from server._api import api, error_response, handle_http_error
from server._browser import browser
from server._config import CONFIG_KEYS, load_config
from server._openapi import openapi
from server._service import ResultsService, import_step_search
from server._verdicts import prefetch_stored_runs, verdicts

__all__ = ["CONFIG_KEYS", "create_app"]


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the Flask application.

    Parameters
    ----------
    config : dict, optional
        Settings that override the environment variables of the same names:
        ``NWB_BENCHMARKS_SERVER_HOME``, ``NWB_BENCHMARKS_RESULTS_REMOTE``,
        ``NWB_BENCHMARKS_DATABASE_REMOTE``, ``NWB_BENCHMARKS_UPLOAD_TOKEN``,
        ``NWB_BENCHMARKS_DEBUG`` and ``NWB_BENCHMARKS_MAX_UPLOAD_BYTES``.

    Returns
    -------
    Flask
        The application, with both git stores cloned and ready.
    """
    settings = load_config(config)
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_upload_bytes
    app.config["DEBUG"] = settings.debug
    app.json.sort_keys = False
    service = ResultsService(settings)
    # Clone (or create) both stores now, so that a misconfigured remote fails at start, not at the first upload.
    service.results.ensure_ready()
    service.database.ensure_ready()
    app.extensions["nwb_benchmarks"] = service
    import_step_search()

    def _read_recent_runs(pause: Callable[[], None]) -> None:
        with app.app_context():
            prefetch_stored_runs(pause)

    service.warm_more = _read_recent_runs

    # The warm-up does its work between requests (see ResultsService.wait_quiet).
    @app.before_request
    def _started() -> None:
        service.request_started()
        g.counted_request = True

    @app.teardown_request
    def _finished(_error: BaseException | None) -> None:
        if g.pop("counted_request", False):
            service.request_finished()

    service.warm_up()
    app.register_blueprint(api)
    app.register_blueprint(openapi)
    app.register_blueprint(browser)
    app.register_blueprint(verdicts)

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> Any:
        if error.code == 413 or not _is_html_page(request.path):
            return handle_http_error(error)
        return error

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Any:
        if isinstance(error, HTTPException):
            return _http_error(error)
        app.logger.exception("unexpected error on %s %s", request.method, request.path)
        if _is_html_page(request.path):
            return "Internal server error; the details are in the server's log.", 500
        return error_response(500, "internal server error", f"{type(error).__name__}; see the server's log")

    return app


def _is_html_page(path: str) -> bool:
    return not (path.startswith(("/data/", "/health", "/openapi")))
