"""Who may see the page: one steward login, a session cookie, and a CSRF token on every POST.

Every request except the login page and static files needs a session; a request without one is
sent to the login page. Every POST (the login form included) must carry the session's CSRF
token, and a POST whose `Origin` is another site is refused even with it. The password is checked
against the hash from `.env` only; neither the password nor the hash is ever logged.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from urllib.parse import urlsplit

from flask import Blueprint, Flask, redirect, render_template, request, session, url_for
from werkzeug.security import check_password_hash, generate_password_hash
from werkzeug.wrappers import Response

from spotlight_nifi.errors import ConfigError
from spotlight_nifi.web.resources import resources

blueprint = Blueprint("auth", __name__)
PUBLIC = {"auth.login", "static"}
MIN_PASSWORD = 12
_log = logging.getLogger(__name__)
_DUMMY_HASH = generate_password_hash(secrets.token_urlsafe(16))
"""Checked against when the user name is wrong, so a wrong name takes as long as a wrong password."""


def password_hash(password: str) -> str:
    """The hash to keep in `.env` as `FAILURES_WEB_PASSWORD_HASH` (werkzeug's salted scrypt)."""
    if len(password) < MIN_PASSWORD:
        raise ConfigError("FAILURES_WEB_PASSWORD_HASH", f"the steward password must have at least {MIN_PASSWORD} characters")
    return generate_password_hash(password)


def csrf_token() -> str:
    """The session's CSRF token, made on first use."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return str(session["csrf"])


def _refused(why: str) -> tuple[str, int]:
    return render_template("error.html", message=why), 400


def _gate() -> Response | tuple[str, int] | None:
    """Before every request: CSRF and origin on POST, then a session unless the page is public."""
    if request.method == "POST":
        origin = request.headers.get("Origin")
        if origin and origin != request.host_url.rstrip("/"):
            return _refused(f"refused: this form was sent from another site (`{origin}`)")
        sent = request.form.get("csrf_token", "")
        if not sent or not hmac.compare_digest(sent, session.get("csrf", "")):
            return _refused("refused: the form's CSRF token is missing or wrong; reload the page and try again")
    if request.endpoint not in PUBLIC and "user" not in session:
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    return None


def local_path(target: str | None) -> str:
    """`target` when it is a path on this site, else the overview (no open redirect)."""
    parts = urlsplit(target or "")
    if not target or parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("pages.overview")
    return target


@blueprint.route("/login", methods=["GET", "POST"])
def login() -> Response | tuple[str, int] | str:
    if request.method == "GET":
        csrf_token()
        return render_template("login.html", next=request.args.get("next", ""))
    config = resources().config
    user, password = request.form.get("user", ""), request.form.get("password", "")
    known = hmac.compare_digest(user.encode(), config.user.encode())
    if check_password_hash(config.password_hash if known else _DUMMY_HASH, password) and known:
        session.clear()
        session.permanent = True
        session["user"] = config.user
        csrf_token()
        return redirect(local_path(request.form.get("next")))
    _log.warning("failed steward login from %s", request.remote_addr)
    return render_template("login.html", next=request.form.get("next", ""),
                           error="wrong user name or password"), 401


@blueprint.post("/logout")
def logout() -> Response:
    session.clear()
    return redirect(url_for("auth.login"))


def install(app: Flask) -> None:
    """The login pages, the gate before every request, and `csrf_token()` in every template."""
    app.register_blueprint(blueprint)
    app.before_request(_gate)
    app.jinja_env.globals["csrf_token"] = csrf_token
