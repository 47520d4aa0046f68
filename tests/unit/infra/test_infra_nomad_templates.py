"""Every `template` block of every rendered Nomad job renders with consul-template, the engine Nomad
uses (tests/tools/nomadcheck): a syntax slip, a function Nomad lacks or an env template that is no env
file would otherwise show only when Nomad places the job."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import hcl2
import pytest

from spotlight_nifi.config import Settings
from spotlight_nifi.infra import render_all
from tests.tools import install
from tests.unit.infra.conftest import fill

OPTIONS = hcl2.SerializationOptions(strip_string_quotes=True, explicit_blocks=False)
SUMMARY = re.compile(r"nomadcheck: (\d+) templates checked in (\d+) jobs with consul-template v[0-9.]+")


@pytest.fixture(scope="session")
def nomadcheck() -> Path:
    """The Go tool, built once per source version into the user cache (never into the repo)."""
    return install.built(install.nomadcheck)


def _check(tool: Path, paths: list[Path]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(tool), *map(str, paths)], capture_output=True, text=True, timeout=120)


def _templates(job: str) -> int:
    """Template blocks counted by python-hcl2, a parser independent of the tool's."""
    def bodies(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [body for block in blocks for body in block.values()]
    return sum(len(task.get("template", []))
               for job_body in bodies(hcl2.loads(job, serialization_options=OPTIONS)["job"])
               for group in bodies(job_body["group"])
               for task in bodies(group["task"]))


def test_every_template_of_every_job_renders_with_consul_template(scenario: Settings, nomadcheck: Path,
                                                                  tmp_path: Path) -> None:
    rendered = render_all(scenario)
    values = json.loads(rendered["nomad/terraform/terraform.tfvars.json"])["settings"]
    jobs = {Path(path).name: fill(text, values) for path, text in rendered.items() if path.endswith(".nomad.hcl")}
    for name, text in jobs.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    checked = _check(nomadcheck, [tmp_path / name for name in sorted(jobs)])
    assert checked.returncode == 0, checked.stderr
    summary = SUMMARY.fullmatch(checked.stdout.strip())
    assert summary, checked.stdout
    templates = sum(_templates(text) for text in jobs.values())
    assert templates > 0
    assert (int(summary[1]), int(summary[2])) == (templates, len(jobs))


def _job(directory: Path, data: str, env: bool) -> Path:
    """A one-template job, filled as Terraform leaves it."""
    path = directory / "broken.nomad.hcl"
    path.write_text(f'job "broken" {{\n  group "broken" {{\n    task "broken" {{\n      template {{\n'
                    f'        data        = <<EOT\n{data}\nEOT\n        destination = "secrets/env"\n'
                    f'        env         = {str(env).lower()}\n      }}\n    }}\n  }}\n}}\n', encoding="utf-8")
    return path


@pytest.mark.parametrize(("data", "error"), [
    ('{{ with nomadVar "x" }}\nKEY={{ .KEY }}', "unexpected EOF"),
    ('KEY={{ nomadVariable "x" }}', 'function "nomadVariable" not defined'),
], ids=["unclosed-with", "unknown-function"])
def test_the_check_refuses_a_template_consul_template_cannot_parse(data: str, error: str, nomadcheck: Path,
                                                                   tmp_path: Path) -> None:
    path = _job(tmp_path, data, env=False)
    checked = _check(nomadcheck, [path])
    assert checked.returncode == 1
    assert checked.stderr.startswith(f"{path}: task broken: template secrets/env: ")
    assert error in checked.stderr


def test_the_check_refuses_an_env_template_whose_output_is_no_env_file(nomadcheck: Path, tmp_path: Path) -> None:
    """The same text passes as a plain file: only `env = true` makes Nomad read it as KEY=value lines."""
    data = 'KEY={{ env "NOMAD_IP_https" }}\nnot an env line'
    checked = _check(nomadcheck, [_job(tmp_path, data, env=True)])
    assert checked.returncode == 1
    assert 'output line 2 is not KEY=value: "not an env line"' in checked.stderr
    assert _check(nomadcheck, [_job(tmp_path, data, env=False)]).returncode == 0
