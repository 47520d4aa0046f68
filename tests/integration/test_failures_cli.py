"""`spotlight-nifi failures ...` end to end: the real CLI entry point against the real failure DB."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from spotlight_nifi import failures
from spotlight_nifi.failures import FailedRecord
from tests.cli_run import run_cli

run = run_cli


@pytest.fixture
def dsn(postgres_dsn: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """FAILURE_DB_DSN set to a migrated session database, run from a directory without `.env`."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FAILURE_DB_DSN", postgres_dsn)
    failures.migrate(postgres_dsn)
    return postgres_dsn


def _failed(dsn: str, payload: bytes, topic: str = "orders") -> int:
    offset = uuid.uuid4().int % 2**40
    return failures.record_failure(dsn, FailedRecord(payload, topic, 0, offset, "orders_to_clickhouse",
                                                     "CastRecords", "`id`: not an Int32"))


def test_migrate_twice(capsys: pytest.CaptureFixture[str], dsn: str) -> None:
    assert run(capsys, "failures", "migrate") == (0, "the failure DB is up to date\n", "")


def test_list_show_resolve(capsys: pytest.CaptureFixture[str], dsn: str) -> None:
    record_id = _failed(dsn, b"\xff\x1b[2J{broken")
    code, out, _ = run(capsys, "failures", "list", "--status", "new", "--limit", "1000")
    assert code == 0 and f"│ {record_id} " in out

    code, out, _ = run(capsys, "failures", "show", str(record_id))
    assert code == 0
    assert "12 bytes, not valid UTF-8" in out
    assert out.endswith("\\xff\\x1b[2J{broken\n")

    code, out, _ = run(capsys, "failures", "resolve", str(record_id), "--by", "ana", "--note", "fixed upstream")
    assert (code, out) == (0, f"record {record_id}: resolved by ana\n")
    code, _, err = run(capsys, "failures", "ignore", str(record_id), "--by", "bob")
    assert code == 0 and err == ""
    assert failures.get_failure(dsn, record_id).status == "ignored"


def test_errors_name_the_record(capsys: pytest.CaptureFixture[str], dsn: str) -> None:
    code, _, err = run(capsys, "failures", "show", "987654")
    assert code == 1
    assert err == "Error: failure record `987654`: no such record: `spotlight-nifi failures list` shows the ids\n"


def test_a_missing_dsn_names_the_variable(capsys: pytest.CaptureFixture[str], dsn: str,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FAILURE_DB_DSN")
    code, _, err = run(capsys, "failures", "list")
    assert code == 1
    assert err.startswith("Error: `FAILURE_DB_DSN` is not set: set it in the environment or in `.env`")


def test_an_unreachable_failure_db_is_named_with_both_ways_to_fix_it(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "failures", "list", "--dsn", "host=127.0.0.1 port=1 user=steward dbname=failures")
    assert code == 1
    text = " ".join(err.split())
    assert text.startswith("Error: cannot connect to the failure DB `steward@127.0.0.1:1/failures`: ")
    assert text.endswith("check `--dsn` or `FAILURE_DB_DSN` (`spotlight-nifi dev env` prints the local one)")


def test_replay(capsys: pytest.CaptureFixture[str], dsn: str, kafka_bootstrap: str,
                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", kafka_bootstrap)
    record_id = _failed(dsn, b'{"id": 1}')
    target = f"retry-{uuid.uuid4().hex[:8]}"
    code, out, err = run(capsys, "failures", "replay", str(record_id), "--to-topic", target)
    assert (code, out, err) == (0, f"record {record_id}: replayed to {target}\n", "")
    assert failures.get_failure(dsn, record_id).status == "replayed"


def test_list_and_show_a_record_not_from_kafka(capsys: pytest.CaptureFixture[str], dsn: str) -> None:
    record_id = failures.record_failure(dsn, FailedRecord(b"line 3 of a file", None, None, None, "files_to_clickhouse",
                                                          "CastToClickHouse", "`id`: not an Int32"))
    code, out, _ = run(capsys, "failures", "list", "--flow", "files_to_clickhouse")
    assert code == 0 and f"│ {record_id} " in out and "│ - " in out

    code, out, _ = run(capsys, "failures", "show", str(record_id))
    assert code == 0 and "      source: -\n" in out
