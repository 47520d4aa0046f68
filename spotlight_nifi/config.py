"""Settings: a CLI argument wins, then the process environment, then the `.env` file, then a default.

Nothing is read at import time. `Settings` is built once per command from the `.env` path the
user chose (default `./.env`), so tests can point it at their own file. A per-environment key is
looked up as `<ENV>_<KEY>` first (for example `PROD_NIFI_URL`), then `<KEY>`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dotenv import dotenv_values

from spotlight_nifi.errors import ConfigError


@dataclass(frozen=True)
class Settings:
    """Configuration values from the environment and one `.env` file."""

    env_file: Path = Path(".env")
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    file_values: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, env_file: Path | str = ".env", environ: Mapping[str, str] | None = None) -> Settings:
        path = Path(env_file)
        values = {k: v for k, v in dotenv_values(path).items() if v is not None} if path.is_file() else {}
        return cls(env_file=path, environ=dict(os.environ if environ is None else environ), file_values=values)

    def get(self, key: str, default: str | None = None, *, environment: str | None = None) -> str | None:
        """The value of `key`, per-environment key first; `default` when nowhere set."""
        keys = [f"{environment.upper()}_{key}", key] if environment else [key]
        for name in keys:
            for source in (self.environ, self.file_values):
                if name in source and source[name] != "":
                    return source[name]
        return default

    def defined(self, key: str, *, environment: str | None = None) -> str | None:
        """Like `get`, but a key set to the empty string counts: `CLICKHOUSE_PASSWORD=` says the password
        is empty, which is not the same as forgetting to set it."""
        keys = [f"{environment.upper()}_{key}", key] if environment else [key]
        for name in keys:
            for source in (self.environ, self.file_values):
                if name in source:
                    return source[name]
        return None

    def require(self, key: str, *, environment: str | None = None, hint: str = "") -> str:
        """The value of `key`, or an error naming the variable and where it was looked for."""
        value = self.get(key, environment=environment)
        if value is None:
            name = f"{environment.upper()}_{key}` or `{key}" if environment else key
            raise ConfigError(
                key,
                f"`{name}` is not set: set it in the environment or in `{self.env_file}`"
                + (f" ({hint})" if hint else "")
                + "; `example.env` documents every key",
            )
        return value

    def with_prefix(self, prefix: str) -> dict[str, str]:
        """Every key starting with `prefix` (file values first, the environment overriding them)."""
        merged = {**self.file_values, **self.environ}
        return {k: v for k, v in merged.items() if k.startswith(prefix)}
