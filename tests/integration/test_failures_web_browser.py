"""A data steward's session in a real headless Chromium (Debian's, driven by Selenium) against the
page served on loopback over a real failure DB and a real Kafka.

Log in, look at the overview, filter, open records whose raw bytes are hostile (a `<script>`
payload, invalid UTF-8, a 1 MB value) and see them inert, replay a selection and find it on
Kafka with its original keys, resolve with a note and see the audit trail, export CSV. Screenshots
of the overview and a record page go to `tests/screenshots/` (ignored by Git) for people to look at.
"""

from __future__ import annotations

import base64
import csv
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Consumer

from spotlight_nifi import failures, web
from spotlight_nifi.failures import FailedRecord
from tests.integration.conftest import STEWARD_PASSWORD

pytestmark = pytest.mark.integration

CSS = "css selector"
"""Selenium's `CSS`: named here so that this module imports without selenium, and the
`chromium` fixture can say what is missing."""
SCREENSHOTS = Path(__file__).resolve().parents[1] / "screenshots"
SCRIPT = b'<script>document.title="pwned"</script><img src=x onerror="document.title=\'pwned\'">{"id": 1}'
INVALID = b'\xff\xfe<script>document.title="pwned"</script>\x80\x00'
BIG = b'{"blob": "' + b"A" * (1024 * 1024) + b'"}'


def _record(topic: str, offset: int, payload: bytes, key: bytes | None, reason: str) -> FailedRecord:
    return FailedRecord(payload, topic, 0, offset, "orders_to_clickhouse", "CastToClickHouse", reason, key=key)


def _css(browser: Any, selector: str) -> Any:
    return browser.find_element(CSS, selector)


def _navigate_by(browser: Any, element: Any) -> None:
    """Click and wait until the next page has replaced this one: Selenium's click returns before
    a form submission or link navigation completes, so reading the page at once races it."""
    browser.execute_script("window.__spotlight_old_page = true")
    element.click()
    for _ in range(200):
        if not browser.execute_script("return window.__spotlight_old_page === true"):
            return
        time.sleep(0.05)
    raise AssertionError(f"clicking {element.tag_name} on {browser.current_url} loaded no new page in 10 s")


def _submit(browser: Any, form: str) -> None:
    _navigate_by(browser, _css(browser, f"{form} button[type=submit]"))


def _flash(browser: Any) -> str:
    return str(_css(browser, ".flash").text)


def _consume(bootstrap: str, topic: str, expected: int) -> list[tuple[bytes | None, bytes]]:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": uuid.uuid4().hex, "auto.offset.reset": "earliest"})
    consumer.subscribe([topic])
    got: list[tuple[bytes | None, bytes]] = []
    try:
        for _ in range(60):
            message = consumer.poll(1.0)
            if message is not None and message.error() is None:
                got.append((message.key(), message.value()))
            if len(got) >= expected:
                break
    finally:
        consumer.close()
    return got


def _download(folder: Path, suffix: str) -> Path:
    for _ in range(100):
        found = [p for p in folder.glob(f"*{suffix}")]
        if found:
            return found[0]
        time.sleep(0.1)
    raise AssertionError(f"no `*{suffix}` download in {folder}: {sorted(p.name for p in folder.iterdir())}")


def test_a_steward_reviews_replays_resolves_and_exports(failure_db: str, kafka_bootstrap: str, serve_web: Any,
                                                        chromium: Any, tmp_path: Path) -> None:
    topic = f"orders-{uuid.uuid4().hex[:8]}"
    script_id, invalid_id, big_id = failures.record_failures(failure_db, [
        _record(topic, 0, SCRIPT, b"key-<0>", "field `id` has no column"),
        _record(topic, 1, INVALID, b"\xffkey-1", "not valid UTF-8 (byte 0)"),
        _record(topic, 2, BIG, None, "field `blob` is not a String (column `blob` UInt8)"),
    ])
    failures.record_failures(failure_db, [_record("noise", n, b'{"id": "x"}', None, "field `id` has no column")
                                          for n in range(60)])
    base = serve_web(web.WebConfig(dsn=failure_db, user="steward", password_hash=web.password_hash(STEWARD_PASSWORD),
                                   kafka_bootstrap=kafka_bootstrap))
    browser = chromium
    SCREENSHOTS.mkdir(exist_ok=True)

    browser.get(f"{base}/failures/{script_id}")
    assert "/login" in browser.current_url and "pwned" not in browser.page_source.lower()
    _css(browser, "input[name=user]").send_keys("steward")
    _css(browser, "input[name=password]").send_keys(STEWARD_PASSWORD)
    _submit(browser, "form.login")
    assert browser.current_url == f"{base}/failures/{script_id}"

    browser.get(f"{base}/")
    assert _css(browser, "#open-count").text == "63"
    assert len(browser.find_elements(CSS, "figure.chart rect")) >= 1
    browser.save_screenshot(str(SCREENSHOTS / "failures-overview.png"))

    browser.get(f"{base}/failures")
    _css(browser, "#filters input[name=topic]").send_keys(topic)
    _css(browser, "#filters select[name=status] option[value=open]").click()
    _submit(browser, "#filters")
    rows = browser.find_elements(CSS, "table.failures tbody tr")
    assert len(rows) == 3 and _css(browser, "#matching").text == "3 matching"
    assert "<script>" in rows[-1].text and "pwned" not in browser.title

    _navigate_by(browser, _css(browser, f'a[href="/failures/{script_id}"]'))
    assert '<script>document.title="pwned"</script>' in _css(browser, "#payload").text
    assert browser.find_elements(CSS, "main script, main img") == []
    assert browser.title == f"Failure {script_id} · spotlight-nifi"
    assert "key-<0>" in browser.page_source.replace("&lt;", "<").replace("&gt;", ">")
    browser.save_screenshot(str(SCREENSHOTS / "failures-record.png"))

    browser.get(f"{base}/failures/{invalid_id}")
    assert "not valid UTF-8: shown as hex" in _css(browser, "#payload-info").text
    assert _css(browser, "#payload").text.startswith("00000000  ff fe 3c 73 63 72 69 70")
    assert browser.find_elements(CSS, "main script") == [] and "pwned" not in browser.title

    browser.get(f"{base}/failures/{big_id}")
    assert "1.0 MiB, UTF-8, JSON (pretty-printed). Only the start is shown." in _css(browser, "#payload-info").text
    assert 60_000 < len(_css(browser, "#payload").get_attribute("textContent")) <= 64 * 1024

    browser.get(f"{base}/failures?topic={topic}")
    for record_id in (script_id, invalid_id):
        _css(browser, f'input[name=id][value="{record_id}"]').click()
    _css(browser, "#selection select[name=action] option[value=replay]").click()
    _css(browser, "#selection input[name=note]").send_keys("table fixed, replaying")
    _submit(browser, "#selection")
    assert _flash(browser) == "replayed 2 record(s)"
    assert sorted(_consume(kafka_bootstrap, topic, 2), key=lambda m: m[1]) == [
        (b"key-<0>", SCRIPT), (b"\xffkey-1", INVALID)]

    browser.get(f"{base}/failures/{big_id}")
    _css(browser, "#decide select[name=action] option[value=resolve]").click()
    _css(browser, "#decide input[name=note]").send_keys("loaded by hand <b>ok</b>")
    _submit(browser, "#decide")
    assert _flash(browser) == "resolved 1 record(s)"
    assert "steward resolve loaded by hand <b>ok</b>" in _css(browser, "#audit tbody").text
    assert failures.get_failure(failure_db, big_id).note == "loaded by hand <b>ok</b>"

    browser.get(f"{base}/failures?topic={topic}")
    _css(browser, "#export select[name=format] option[value=csv]").click()
    _css(browser, "#export button[type=submit]").click()
    csv.field_size_limit(4 * len(BIG))
    with _download(tmp_path / "downloads", ".csv").open(newline="", encoding="utf-8") as exported:
        rows_out = list(csv.DictReader(exported))
    assert [(int(r["id"]), r["status"]) for r in rows_out] == [
        (script_id, "replayed"), (invalid_id, "replayed"), (big_id, "resolved")]
    assert [base64.b64decode(r["payload_base64"]) for r in rows_out] == [SCRIPT, INVALID, BIG]
    assert (SCREENSHOTS / "failures-overview.png").stat().st_size > 10_000
