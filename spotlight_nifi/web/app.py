"""The Flask app of the stewards' page, and the server that runs it (loopback unless told otherwise).

Responses carry a strict Content-Security-Policy (scripts and styles from this site only, no
inline script), are never cached, and may not be framed: even a payload that slipped past HTML
escaping could not run. Library errors become a page with their one-line message.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import Flask, render_template
from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Response

from spotlight_nifi.errors import SpotlightError
from spotlight_nifi.web import actions, auth, display, pages
from spotlight_nifi.web.config import WebConfig
from spotlight_nifi.web.resources import Resources

HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def _headers(response: Response) -> Response:
    response.headers.update(HEADERS)
    return response


def _error(error: SpotlightError) -> tuple[str, int]:
    return render_template("error.html", message=str(error)), 400


def create_app(config: WebConfig) -> Flask:
    """The app over `config`'s failure DB."""
    app = Flask(__name__)
    app.config.update(SECRET_KEY=config.secret_key, SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
                      SESSION_COOKIE_SECURE=config.secure_cookie, SESSION_COOKIE_NAME="spotlight_steward",
                      PERMANENT_SESSION_LIFETIME=timedelta(hours=8), MAX_CONTENT_LENGTH=1024 * 1024)
    app.extensions["spotlight_failures"] = Resources(config)
    auth.install(app)
    display.install(app)
    app.register_blueprint(pages.blueprint)
    app.register_blueprint(actions.blueprint)
    app.after_request(_headers)
    app.register_error_handler(SpotlightError, _error)
    return app


def server(config: WebConfig, host: str = "127.0.0.1", port: int = 8090) -> BaseWSGIServer:
    """A threaded server of the app, bound but not yet serving (port 0: a free one)."""
    return make_server(host, port, create_app(config), threaded=True)


def serve(config: WebConfig, host: str = "127.0.0.1", port: int = 8090) -> None:
    """Serve until interrupted, logging one line per request (never a form's content)."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    running = server(config, host, port)
    try:
        running.serve_forever()
    finally:
        running.server_close()
        running.app.extensions["spotlight_failures"].close()
