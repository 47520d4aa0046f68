"""docker-compose.yml validates against the official Compose Specification JSON schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft7Validator

from spotlight_nifi.config import Settings
from spotlight_nifi.infra import render_compose


def _errors(schema_path: Path, document: dict[str, Any]) -> list[str]:
    validator = Draft7Validator(json.loads(schema_path.read_text(encoding="utf-8")))
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(document)]


def test_compose_file_matches_the_compose_specification(scenario: Settings, compose_schema_path: Path) -> None:
    assert _errors(compose_schema_path, yaml.safe_load(render_compose(scenario))) == []


def test_the_schema_rejects_what_compose_would(example: Settings, compose_schema_path: Path) -> None:
    document = yaml.safe_load(render_compose(example))
    document["services"]["nifi"]["healthcheck"]["tests"] = ["CMD", "true"]
    document["services"]["spark-worker"]["deploy"] = {"replica": 2}
    assert len(_errors(compose_schema_path, document)) == 2
