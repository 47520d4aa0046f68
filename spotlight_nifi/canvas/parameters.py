"""Which value each parameter of a flow definition gets in one environment.

A compiled parameter names the `.env` key that fills it (in its description, see
`flow.compile.parameter_env_key`). The key's value in the environment wins; without one a plain
parameter keeps the flow's default, and a sensitive parameter is an error: its value exists only
in the environment, never in flow JSON, so deploying without it would leave the flow unusable. A
key set to the empty string (`CLICKHOUSE_PASSWORD=`) leaves the parameter without a value on purpose.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from spotlight_nifi.config import Settings
from spotlight_nifi.errors import ConfigError
from spotlight_nifi.flow.compile import parameter_env_key


@dataclass(frozen=True)
class ParameterValue:
    context: str
    name: str
    value: str | None
    sensitive: bool
    env: str | None


def parameter_values(definition: Mapping[str, Any], settings: Settings, *,
                     environment: str | None = None) -> list[ParameterValue]:
    """Every parameter of every context of `definition`, with the value it gets in `environment`."""
    values = []
    for context in (definition.get("parameterContexts") or {}).values():
        for parameter in context.get("parameters") or []:
            env = parameter_env_key(parameter.get("description", ""))
            sensitive = bool(parameter.get("sensitive"))
            value = (settings.defined if sensitive else settings.get)(env, environment=environment) if env else None
            if value is None and sensitive:
                where = f"`{environment.upper()}_{env}` or `{env}`" if environment else f"`{env}`"
                raise ConfigError(env or parameter["name"],
                                  f"sensitive parameter `{parameter['name']}` of context `{context['name']}` needs "
                                  f"{where} in the environment or `{settings.env_file}`: secrets are never stored "
                                  "in flow JSON")
            if not sensitive and value is None:
                value = parameter.get("value")
            values.append(ParameterValue(context["name"], parameter["name"], value or None, sensitive, env))
    return values
