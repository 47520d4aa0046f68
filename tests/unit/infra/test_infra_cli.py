"""`spotlight-nifi infra render` writes the files; `infra check` names the file that drifted."""

from __future__ import annotations

from pathlib import Path

import pytest

from spotlight_nifi.cli import main

ROOT = Path(__file__).resolve().parents[3]
ENV = str(ROOT / "example.env")


def _run(*args: str) -> int:
    with pytest.raises(SystemExit) as done:
        main(list(args))
    return int(done.value.code or 0)


def test_render_then_check_passes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("os.environ", {})
    assert _run("infra", "render", "--env-file", ENV, "--out", str(tmp_path)) == 0
    assert (tmp_path / "docker-compose.yml").read_text() == (ROOT / "docker-compose.yml").read_text()
    assert "TF_VAR_nifi_password" in capsys.readouterr().out
    assert _run("infra", "check", "--env-file", ENV, "--out", str(tmp_path)) == 0


def test_check_names_the_drifted_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("os.environ", {})
    _run("infra", "render", "--env-file", ENV, "--out", str(tmp_path))
    job = tmp_path / "nomad" / "kafka.nomad.hcl"
    job.write_text(job.read_text().replace("apache/kafka", "bitnami/kafka"))
    (tmp_path / "nomad" / "old.nomad.hcl").write_text("job \"old\" {}\n")
    capsys.readouterr()
    assert _run("infra", "check", "--env-file", ENV, "--out", str(tmp_path)) == 1
    err = capsys.readouterr().err.strip()
    assert err == (f"Error: `nomad/kafka.nomad.hcl`, `nomad/old.nomad.hcl` differ from what `{ENV}` renders: "
                   f"run `spotlight-nifi infra render --env-file {ENV}` and commit the result")
    _run("infra", "render", "--env-file", ENV, "--out", str(tmp_path))
    assert not (tmp_path / "nomad" / "old.nomad.hcl").exists()


def test_a_missing_key_exits_1_naming_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("os.environ", {})
    env = tmp_path / ".env"
    env.write_text("NIFI_IMAGE=apache/nifi:2.12.0\n")
    assert _run("infra", "check", "--env-file", str(env), "--out", str(tmp_path)) == 1
    assert capsys.readouterr().err.strip() == (
        f"Error: `NIFI_REGISTRY_IMAGE` is not set: set it in the environment or in `{env}`; "
        "`example.env` documents every key")
