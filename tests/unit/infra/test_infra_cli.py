"""`spotlight-nifi infra render` writes the files; `infra check` names the key at fault or the file that drifted."""

from __future__ import annotations

from pathlib import Path

import pytest

from spotlight_nifi.cli import main
from tests.unit.infra.conftest import EXAMPLE_ENV, ROOT

ENV = str(EXAMPLE_ENV)


def _run(*args: str) -> int:
    with pytest.raises(SystemExit) as done:
        main(list(args))
    return int(done.value.code or 0)


@pytest.fixture(autouse=True)
def _no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("os.environ", {})


def test_render_then_check_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run("infra", "render", "--env-file", ENV, "--out", str(tmp_path)) == 0
    assert (tmp_path / "docker-compose.yml").read_text() == (ROOT / "docker-compose.yml").read_text()
    assert "TF_VAR_nifi_password" in capsys.readouterr().out
    assert _run("infra", "check", "--env-file", ENV, "--out", str(tmp_path)) == 0
    assert capsys.readouterr().out.strip() == f"`{ENV}` is valid and the rendered files are up to date"


def test_check_names_the_drifted_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _run("infra", "render", "--env-file", ENV, "--out", str(tmp_path))
    job = tmp_path / "nomad" / "kafka.nomad.hcl"
    job.write_text(job.read_text().replace("KAFKA_IMAGE", "KAFKA_CONNECT_IMAGE"))
    (tmp_path / "nomad" / "old.nomad.hcl").write_text("job \"old\" {}\n")
    capsys.readouterr()
    assert _run("infra", "check", "--env-file", ENV, "--out", str(tmp_path)) == 1
    err = capsys.readouterr().err.strip()
    assert err == (f"Error: `nomad/kafka.nomad.hcl`, `nomad/old.nomad.hcl` differ from what `{ENV}` renders: "
                   f"run `spotlight-nifi infra render --env-file {ENV}` and commit the result")
    _run("infra", "render", "--env-file", ENV, "--out", str(tmp_path))
    assert not (tmp_path / "nomad" / "old.nomad.hcl").exists()


def test_check_finds_a_changed_env_value_in_the_tfvars(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _run("infra", "render", "--env-file", ENV, "--out", str(tmp_path))
    env = tmp_path / ".env"
    env.write_text(EXAMPLE_ENV.read_text().replace("SPARK_WORKER_MEMORY=1g", "SPARK_WORKER_MEMORY=2g"))
    capsys.readouterr()
    assert _run("infra", "check", "--env-file", str(env), "--out", str(tmp_path)) == 1
    assert capsys.readouterr().err.strip().startswith(
        "Error: `docker-compose.yml`, `nomad/terraform/terraform.tfvars.json` differ from what")


def test_a_missing_key_exits_1_naming_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    env = tmp_path / ".env"
    env.write_text("NIFI_IMAGE=apache/nifi:2.12.0\n")
    assert _run("infra", "check", "--env-file", str(env), "--out", str(tmp_path)) == 1
    assert capsys.readouterr().err.strip() == (
        f"Error: `NIFI_REGISTRY_IMAGE` is not set: set it in the environment or in `{env}`; "
        "`example.env` documents every key")


@pytest.mark.parametrize(("line", "message"), [
    ("KAFKA_PORT=nine", "`KAFKA_PORT` is `nine`: set it to a port number between 1 and 65535"),
    ("MINIO_RAW_BUCKET=Raw_Data", "`MINIO_RAW_BUCKET` is `Raw_Data`: set it to a name S3 accepts: 3 to 63 lowercase "
                                  "letters, digits, dots or hyphens, starting and ending with a letter or digit, no "
                                  "`..`, not shaped like an IP address"),
    ("NIFI_NODES=0", "`NIFI_NODES` is `0`: set it to a whole number between 1 and 64"),
    ("KAFKA_REPLICATION_FACTOR=2", "`KAFKA_REPLICATION_FACTOR` is `2` but `KAFKA_BROKERS` is `1`: keep it at most "
                                   "the number of brokers"),
])
def test_an_invalid_value_exits_1_naming_the_key(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                 line: str, message: str) -> None:
    env = tmp_path / ".env"
    env.write_text(EXAMPLE_ENV.read_text() + line + "\n")
    assert _run("infra", "check", "--env-file", str(env), "--out", str(ROOT)) == 1
    assert capsys.readouterr().err.strip() == f"Error: {message}"
