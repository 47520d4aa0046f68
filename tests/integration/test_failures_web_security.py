"""Who can reach the stewards' page and what hostile input does to it, against a real failure DB.

Requests go through Flask's test client (the real app, no network): no session means the login
page, a POST without the session's CSRF token (or from another origin) changes nothing, and
SQL-ish or HTML-ish filters are only ever text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import psycopg
import pytest
from flask.testing import FlaskClient

from spotlight_nifi import failures, web
from spotlight_nifi.errors import ConfigError
from spotlight_nifi.failures import FailedRecord
from tests.integration.conftest import STEWARD_PASSWORD

pytestmark = pytest.mark.integration

HOSTILE = b'<script>alert("x")</script>'


@pytest.fixture
def app_client(failure_db: str) -> Iterator[FlaskClient]:
    config = web.WebConfig(dsn=failure_db, user="steward", password_hash=web.password_hash(STEWARD_PASSWORD))
    app = web.create_app(config)
    with app.test_client() as client:
        yield client
    app.extensions["spotlight_failures"].close()


def _token(client: FlaskClient, path: str = "/login") -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text)
    assert found, f"no CSRF token on {path}"
    return found.group(1)


def _login(client: FlaskClient) -> str:
    response = client.post("/login", data={"user": "steward", "password": STEWARD_PASSWORD,
                                           "csrf_token": _token(client)})
    assert response.status_code == 302
    return _token(client, "/failures")


def _one_failure(dsn: str) -> int:
    return failures.record_failure(dsn, FailedRecord(HOSTILE, "orders", 0, 1, "orders_flow", "CastToClickHouse",
                                                     'field `<b>id</b>` has no column'))


@pytest.mark.parametrize("path", ["/", "/failures", "/failures?status=open", "/failures/1", "/failures/1/raw",
                                  "/reconcile?topic=orders"])
def test_without_a_session_every_page_redirects_to_login(app_client: FlaskClient, failure_db: str, path: str) -> None:
    _one_failure(failure_db)
    response = app_client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    assert b"script" not in response.data


@pytest.mark.parametrize("path", ["/failures/1/decide", "/failures/decide", "/failures/export", "/logout"])
def test_a_post_without_a_session_or_token_does_nothing(app_client: FlaskClient, failure_db: str, path: str) -> None:
    record_id = _one_failure(failure_db)
    data = {"action": "resolve", "id": str(record_id), "scope": "checked", "format": "jsonl"}
    assert app_client.post(path, data=data).status_code == 400
    _login(app_client)
    refused = app_client.post(path, data=data)
    assert refused.status_code == 400
    assert "the form&#39;s CSRF token is missing or wrong" in refused.text
    assert app_client.post(path, data={**data, "csrf_token": "forged"}).status_code == 400
    assert failures.get_failure(failure_db, record_id).status == "new"
    with psycopg.connect(failure_db) as conn:
        assert conn.execute("SELECT count(*) FROM failure_actions").fetchone() == (0,)


def test_a_post_from_another_origin_is_refused_even_with_the_token(app_client: FlaskClient, failure_db: str) -> None:
    record_id = _one_failure(failure_db)
    token = _login(app_client)
    response = app_client.post(f"/failures/{record_id}/decide", data={"action": "resolve", "csrf_token": token},
                               headers={"Origin": "https://evil.example"})
    assert response.status_code == 400 and "sent from another site" in response.text
    assert failures.get_failure(failure_db, record_id).status == "new"
    response = app_client.post(f"/failures/{record_id}/decide", data={"action": "resolve", "csrf_token": token},
                               headers={"Origin": "http://localhost"})
    assert response.status_code == 302
    assert failures.get_failure(failure_db, record_id).status == "resolved"


def test_login_refuses_wrong_credentials_and_open_redirects(app_client: FlaskClient) -> None:
    token = _token(app_client)
    for user, password in [("steward", "wrong password"), ("admin", STEWARD_PASSWORD), ("", "")]:
        response = app_client.post("/login", data={"user": user, "password": password, "csrf_token": token})
        assert response.status_code == 401 and "wrong user name or password" in response.text
    assert app_client.get("/failures").status_code == 302
    response = app_client.post("/login", data={"user": "steward", "password": STEWARD_PASSWORD, "csrf_token": token,
                                               "next": "//evil.example/steal"})
    assert response.headers["Location"] == "/"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_the_session_token_changes_at_login_and_logout_ends_the_session(app_client: FlaskClient) -> None:
    before = _token(app_client)
    after = _login(app_client)
    assert before != after
    assert app_client.post("/logout", data={"csrf_token": after}).status_code == 302
    assert app_client.get("/").status_code == 302


@pytest.mark.parametrize("query", [
    {"reason": "'; DROP TABLE failures; --"},
    {"topic": "orders' OR '1'='1"},
    {"flow": "<script>alert(1)</script>", "table": '"><img src=x onerror=alert(1)>'},
    {"reason": "%' UNION SELECT password FROM pg_shadow --"},
    {"reason_class": "table` OR 1=1"},
])
def test_sql_ish_and_html_ish_filters_are_only_text(app_client: FlaskClient, failure_db: str,
                                                     query: dict[str, str]) -> None:
    _one_failure(failure_db)
    _login(app_client)
    response = app_client.get("/failures", query_string=query)
    assert response.status_code == 200
    assert "no failure matches" in response.text
    for value in query.values():
        assert value not in response.text or not re.search(r"[<>\"']", value)
    assert "<script>alert" not in response.text and "<img" not in response.text
    with psycopg.connect(failure_db) as conn:
        assert conn.execute("SELECT count(*) FROM failures").fetchone() == (1,)


@pytest.mark.parametrize(("query", "message"), [
    ({"sort": "id; DROP TABLE failures"}, "unknown sort `id; DROP TABLE failures`"),
    ({"status": "<b>x</b>"}, "unknown status `&lt;b&gt;x&lt;/b&gt;`"),
    ({"after": "'; --"}, "is not valid for sort `newest`: start again from the first page"),
    ({"since": "<script>"}, "`since` must be a date and time like 2026-01-31T13:45, not `&lt;script&gt;`"),
])
def test_malformed_filters_are_refused_with_the_value_escaped(app_client: FlaskClient, query: dict[str, str],
                                                              message: str) -> None:
    _login(app_client)
    response = app_client.get("/failures", query_string=query)
    assert response.status_code == 400
    assert message in response.text


def test_a_record_is_shown_inert_and_downloaded_as_bytes(app_client: FlaskClient, failure_db: str) -> None:
    record_id = _one_failure(failure_db)
    _login(app_client)
    page = app_client.get(f"/failures/{record_id}")
    assert page.status_code == 200
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page.text and "<script>alert" not in page.text
    assert "field `&lt;b&gt;id&lt;/b&gt;` has no column" in page.text
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Frame-Options"] == "DENY" and page.headers["Cache-Control"] == "no-store"
    raw = app_client.get(f"/failures/{record_id}/raw")
    assert raw.data == HOSTILE
    assert raw.headers["Content-Type"] == "application/octet-stream"
    assert raw.headers["Content-Disposition"] == f'attachment; filename="failure-{record_id}.bin"'
    assert raw.headers["X-Content-Type-Options"] == "nosniff"
    assert app_client.get("/failures/424242").status_code == 400


def test_the_config_refuses_a_password_in_clear() -> None:
    with pytest.raises(ConfigError, match="`FAILURES_WEB_PASSWORD_HASH` is not a password hash"):
        web.WebConfig(dsn="dbname=x", user="steward", password_hash=STEWARD_PASSWORD)
    with pytest.raises(ConfigError, match="at least 12 characters"):
        web.password_hash("short")
