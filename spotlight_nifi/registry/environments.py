"""Where each environment's flow versions live: `registry/environments.yaml`, the environment, arguments.

The file has `defaults` and one entry per environment under `environments`; an entry's keys
override the defaults: `type` (`git` or `nifi-registry`), `url` (a Git URL or local path, or a
NiFi Registry URL), `branch` (Git; default the environment's name), `bucket` (default `spotlight`
in Git, `spotlight-<environment>` in NiFi Registry), `env_file` (the `.env` whose values fill the
environment's parameters on promote; default `.env.<environment>`). `${VAR}` in a value is
replaced from the settings. Relative paths in the file are relative to the file.

Each key can be overridden from the environment (or `.env`) as `<ENV>_FLOW_REGISTRY_<KEY>` or
`FLOW_REGISTRY_<KEY>` (for example `PROD_FLOW_REGISTRY_URL`), and the URL by an argument.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast

import yaml

from spotlight_nifi.config import Settings
from spotlight_nifi.errors import ConfigError
from spotlight_nifi.registry.git import GitFlowRegistry
from spotlight_nifi.registry.interface import FlowRegistry
from spotlight_nifi.registry.nifi_registry import NiFiRegistryServer

RegistryType = Literal["git", "nifi-registry"]
TYPES: tuple[RegistryType, ...] = ("git", "nifi-registry")
DEFAULT_CONFIG = Path("registry/environments.yaml")
KEYS = ("type", "url", "branch", "bucket", "env_file")
_VARIABLE = re.compile(r"\$\{(\w+)\}")
_SCP_LIKE = re.compile(r"^[\w.-]+@[\w.-]+:")


@dataclass(frozen=True)
class Environment:
    """One environment's flow registry, resolved."""

    name: str
    type: RegistryType
    url: str
    branch: str
    bucket: str
    env_file: Path


def config_path(settings: Settings, override: Path | None = None) -> Path:
    """The environments file: argument, then `SPOTLIGHT_REGISTRY_CONFIG`, else `registry/environments.yaml`."""
    return override or Path(settings.get("SPOTLIGHT_REGISTRY_CONFIG") or DEFAULT_CONFIG)


def _read(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise ConfigError(str(path), f"`{path}` is not valid YAML: {str(error).splitlines()[0]}") from None
    if not isinstance(data, dict) or not isinstance(data.get("environments", {}), dict):
        raise ConfigError(str(path), f"`{path}` must hold a mapping `environments: {{name: {{type, url, ...}}}}`")
    return data


def _expand(value: str, settings: Settings, path: Path) -> str:
    def replace(match: re.Match[str]) -> str:
        return settings.require(match.group(1), hint=f"`{path}` refers to it")

    return _VARIABLE.sub(replace, value)


def _is_local(url: str) -> bool:
    return "://" not in url and not _SCP_LIKE.match(url)


def load_environment(name: str, settings: Settings, config: Path | None = None, url: str | None = None) -> Environment:
    """Environment `name` from the config file, the environment and `url`; errors name what is missing."""
    path = config_path(settings, config)
    data = _read(path)
    known = data.get("environments") or {}
    entry = known.get(name)
    from_env = {k: settings.get(f"FLOW_REGISTRY_{k.upper()}", environment=name) for k in KEYS}
    if entry is None and not (url or from_env["url"]):
        listed = ", ".join(f"`{n}`" for n in known) or "none"
        raise ConfigError(f"{name.upper()}_FLOW_REGISTRY_URL",
                          f"unknown environment `{name}`: `{path}` defines {listed}; add it there "
                          f"or set `{name.upper()}_FLOW_REGISTRY_URL`")
    in_file = {k: str(v) for k, v in {**(data.get("defaults") or {}), **(entry or {})}.items() if v is not None}
    unknown_keys = sorted(set(in_file) - set(KEYS))
    if unknown_keys:
        raise ConfigError(str(path), f"environment `{name}` in `{path}` has unknown key(s) {unknown_keys}: use {KEYS}")
    values = {k: _expand(v, settings, path) for k, v in in_file.items()}
    for key in ("url", "env_file"):
        if key in values and _is_local(values[key]):
            values[key] = os.path.abspath(path.parent / values[key])
    values.update({k: v for k, v in from_env.items() if v})
    if url:
        values["url"] = url
    return _environment(name, values, path)


def _environment(name: str, values: dict[str, str], path: Path) -> Environment:
    kind = values.get("type", "git")
    if kind not in TYPES:
        raise ConfigError(f"{name.upper()}_FLOW_REGISTRY_TYPE",
                          f"environment `{name}`: registry type `{kind}` is not one of {', '.join(TYPES)} (`{path}`)")
    if not values.get("url"):
        raise ConfigError(f"{name.upper()}_FLOW_REGISTRY_URL",
                          f"environment `{name}` has no registry `url` in `{path}`: add one or set "
                          f"`{name.upper()}_FLOW_REGISTRY_URL`")
    url = values["url"]
    if kind == "git" and _is_local(url):
        url = os.path.abspath(os.path.expanduser(url))
    bucket = values.get("bucket") or ("spotlight" if kind == "git" else f"spotlight-{name}")
    return Environment(name, cast(RegistryType, kind), url, values.get("branch") or name, bucket,
                       Path(values.get("env_file") or f".env.{name}"))


def open_registry(environment: Environment, cache: Path) -> FlowRegistry:
    """The registry backend of an environment (Git clones are cached under `cache`)."""
    if environment.type == "git":
        return GitFlowRegistry(environment.url, environment.branch, environment.bucket, cache, environment.name)
    return NiFiRegistryServer(environment.url, environment.bucket, environment.name)
