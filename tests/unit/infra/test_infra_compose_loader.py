"""docker-compose.yml loads with compose-go, the loader Docker Compose itself uses: beyond the schema it
interpolates `${KEY:?message}` and checks that references (depends_on, volumes, configs, networks) resolve."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from spotlight_nifi.config import Settings
from spotlight_nifi.infra import render_compose
from tests.tools import install

REQUIRED = re.compile(r"\$\{([A-Za-z0-9_]+):\?([^}]*)\}")
"""A secret the compose file refuses to start without: `${KEY:?message}`."""


@pytest.fixture(scope="session")
def composecheck() -> Path:
    """The Go tool, built once per source version into the user cache (never into the repo)."""
    return install.built(install.composecheck)


def _secrets(compose: str) -> dict[str, str]:
    """A dummy value, unique so it can be traced, for every key the compose file requires."""
    return {key: f"dummy-{key.lower()}" for key, _ in REQUIRED.findall(compose)}


def _load(tool: Path, directory: Path, compose: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    (directory / "docker-compose.yml").write_text(compose, encoding="utf-8")
    (directory / "secrets.env").write_text("".join(f"{k}={v}\n" for k, v in env.items()), encoding="utf-8")
    return subprocess.run([str(tool), str(directory / "docker-compose.yml"), str(directory / "secrets.env")],
                          capture_output=True, text=True, timeout=60)


def test_the_compose_loader_accepts_the_rendered_file(scenario: Settings, composecheck: Path, tmp_path: Path) -> None:
    compose = render_compose(scenario)
    secrets = _secrets(compose)
    loaded = _load(composecheck, tmp_path, compose, secrets)
    assert loaded.returncode == 0, loaded.stderr
    project = json.loads(loaded.stdout)
    assert set(project["services"]) == set(yaml.safe_load(compose)["services"])
    environment = {value for service in project["services"].values() for value in (service.get("environment") or {}).values()}
    assert set(secrets.values()) <= environment


def _refused(tool: Path, directory: Path, document: dict[str, object], env: dict[str, str]) -> str:
    loaded = _load(tool, directory, yaml.safe_dump(document, sort_keys=False), env)
    assert loaded.returncode != 0, loaded.stdout[:500]
    return loaded.stderr


def test_the_loader_refuses_a_dependency_on_an_unknown_service(example: Settings, composecheck: Path, tmp_path: Path) -> None:
    compose = render_compose(example)
    document = yaml.safe_load(compose)
    document["services"]["nifi"]["depends_on"] = {"no-such-service": {"condition": "service_started"}}
    error = _refused(composecheck, tmp_path, document, _secrets(compose))
    assert 'service "nifi" depends on undefined service "no-such-service"' in error


def test_the_loader_refuses_an_undeclared_named_volume(example: Settings, composecheck: Path, tmp_path: Path) -> None:
    compose = render_compose(example)
    document = yaml.safe_load(compose)
    document["services"]["nifi"].setdefault("volumes", []).append("no-such-volume:/opt/undeclared")
    error = _refused(composecheck, tmp_path, document, _secrets(compose))
    assert 'service "nifi" refers to undefined volume no-such-volume' in error


def test_the_loader_refuses_a_missing_secret_with_its_message(example: Settings, composecheck: Path, tmp_path: Path) -> None:
    compose = render_compose(example)
    key, message = REQUIRED.findall(compose)[0]
    secrets = _secrets(compose)
    del secrets[key]
    error = _refused(composecheck, tmp_path, yaml.safe_load(compose), secrets)
    assert f"required variable {key} is missing a value: {message}" in error
