"""Running the `spotlight-nifi` CLI in-process, as a user would from a shell."""

from __future__ import annotations

import pytest

from spotlight_nifi.cli import main


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """The exit code, standard output and standard error of `spotlight-nifi ARGS...`."""
    with pytest.raises(SystemExit) as exited:
        main(list(args))
    captured = capsys.readouterr()
    return int(exited.value.code or 0), captured.out, captured.err
