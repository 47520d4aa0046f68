"""Parameter values for a target environment, taken from its `.env` when a flow is promoted.

The compiled flow names the `.env` key of each parameter in its description ("Filled from .env
key KEY at deploy time.", written by `flow.compile`). A promotion replaces every non-sensitive
value that has such a key with the target environment's value, so staging never runs with dev's
hosts. Sensitive parameters stay without a value: deploy fills them from the environment, and no
secret is ever written to a registry.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any

from spotlight_nifi.config import Settings
from spotlight_nifi.errors import ConfigError

ENV_KEY = re.compile(r"Filled from \.env key (\w+) at deploy time\.")


def env_key(parameter: Mapping[str, Any]) -> str | None:
    """The `.env` key a parameter is filled from, as its description names it."""
    found = ENV_KEY.search(parameter.get("description") or "")
    return found.group(1) if found else None


def for_environment(snapshot: Mapping[str, Any], settings: Settings, environment: str) -> dict[str, Any]:
    """A copy of `snapshot` with the environment's parameter values; every missing key is named."""
    result = copy.deepcopy(dict(snapshot))
    missing = []
    for context in (result.get("parameterContexts") or {}).values():
        for parameter in context.get("parameters") or []:
            key = env_key(parameter)
            if parameter.get("sensitive"):
                parameter.pop("value", None)
            elif key:
                value = settings.get(key, environment=environment)
                if value is None and parameter.get("value") == "":
                    continue
                if value is None:
                    missing.append(f"`{key}` (parameter `{parameter['name']}` of context `{context.get('name')}`)")
                else:
                    parameter["value"] = value
    if missing:
        raise ConfigError(missing[0].split("`")[1],
                          f"environment `{environment}` has no value for {', '.join(missing)}: set them in "
                          f"`{settings.env_file}` or the environment (as `{environment.upper()}_<KEY>` or `<KEY>`)")
    return result
