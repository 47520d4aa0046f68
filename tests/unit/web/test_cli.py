"""`spotlight-nifi failures hash-password` and `serve`'s configuration errors, through the real CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner
from werkzeug.security import check_password_hash

from spotlight_nifi.cli import build_app, main


def test_hash_password_prints_the_env_line_and_never_the_password() -> None:
    result = CliRunner().invoke(build_app(), ["failures", "hash-password"], input="a long steward pw\na long steward pw\n")
    assert result.exit_code == 0
    line = result.output.splitlines()[-1]
    assert line.startswith("FAILURES_WEB_PASSWORD_HASH='scrypt:") and line.endswith("'")
    assert check_password_hash(line.split("=", 1)[1].strip("'"), "a long steward pw")
    assert result.output.count("a long steward pw") == 0


def test_serve_names_the_missing_hash(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                                      tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FAILURES_WEB_PASSWORD_HASH", raising=False)
    with pytest.raises(SystemExit) as exited:
        main(["failures", "serve", "--dsn", "dbname=failures"])
    assert exited.value.code == 1
    assert capsys.readouterr().err.startswith("Error: `FAILURES_WEB_PASSWORD_HASH` is not set: set it in the "
                                              "environment or in `.env` (`spotlight-nifi failures hash-password` "
                                              "prints one)")
