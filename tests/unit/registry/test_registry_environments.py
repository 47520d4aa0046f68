"""Environments: the YAML file, then the environment, then the argument; errors name what to set."""

from __future__ import annotations

from pathlib import Path

import pytest

from spotlight_nifi.config import Settings
from spotlight_nifi.errors import ConfigError
from spotlight_nifi.registry.environments import load_environment

CONFIG = """defaults:
  url: ../flows.git
environments:
  dev: {}
  staging: {branch: release, env_file: envs/staging.env}
  shared:
    type: nifi-registry
    url: ${REGISTRY_HOST}
"""


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "registry" / "environments.yaml"
    path.parent.mkdir()
    path.write_text(CONFIG)
    return path


def settings(**environ: str) -> Settings:
    return Settings.load("/nonexistent", environ=environ)


def test_defaults_apply_and_paths_are_relative_to_the_file(config: Path) -> None:
    dev = load_environment("dev", settings(), config)
    assert (dev.type, dev.url, dev.branch, dev.bucket) == ("git", str(config.parent.parent / "flows.git"), "dev",
                                                           "spotlight")
    assert dev.env_file == Path(".env.dev")
    staging = load_environment("staging", settings(), config)
    assert staging.branch == "release" and staging.env_file == config.parent / "envs" / "staging.env"


def test_variables_fill_values_and_nifi_registry_buckets_default_per_environment(config: Path) -> None:
    shared = load_environment("shared", settings(REGISTRY_HOST="http://reg:18080"), config)
    assert (shared.type, shared.url, shared.bucket) == ("nifi-registry", "http://reg:18080", "spotlight-shared")
    with pytest.raises(ConfigError, match=r"`REGISTRY_HOST` is not set.*refers to it"):
        load_environment("shared", settings(), config)


def test_environment_then_argument_override_the_file(config: Path) -> None:
    environ = settings(DEV_FLOW_REGISTRY_URL="git@github.com:acme/flows.git", FLOW_REGISTRY_BUCKET="team")
    dev = load_environment("dev", environ, config)
    assert (dev.url, dev.bucket) == ("git@github.com:acme/flows.git", "team")
    url = "https://git.example/flows.git"
    assert load_environment("dev", environ, config, url=url).url == url


def test_an_environment_defined_only_by_the_environment(tmp_path: Path) -> None:
    qa = load_environment("qa", settings(QA_FLOW_REGISTRY_URL="https://git.example/f.git"), tmp_path / "none.yaml")
    assert (qa.type, qa.url, qa.branch) == ("git", "https://git.example/f.git", "qa")


def test_unknown_environment_names_the_known_ones_and_the_fix(config: Path) -> None:
    with pytest.raises(ConfigError) as error:
        load_environment("qa", settings(), config)
    assert str(error.value) == (f"unknown environment `qa`: `{config}` defines `dev`, `staging`, `shared`; add it "
                                "there or set `QA_FLOW_REGISTRY_URL`")


@pytest.mark.parametrize(("text", "message"), [
    ("environments:\n  dev: {type: svn, url: x}\n", "registry type `svn` is not one of git, nifi-registry"),
    ("environments:\n  dev: {colour: red, url: x}\n", "unknown key(s) ['colour']"),
    ("environments:\n  dev: {branch: x}\n", "environment `dev` has no registry `url`"),
    ("environments: [dev]\n", "must hold a mapping"),
    ("environments: {dev: [\n", "is not valid YAML"),
])
def test_malformed_files_are_named(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "environments.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as error:
        load_environment("dev", settings(), path)
    assert message in str(error.value)
