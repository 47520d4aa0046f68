"""What the stewards' web page needs to run, from settings: the failure DB, the one steward
account, the session key, and (for replay and reconcile) Kafka and ClickHouse."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from spotlight_nifi.config import Settings
from spotlight_nifi.errors import ConfigError

HASH_METHODS = ("scrypt:", "pbkdf2:")
"""Password hashes werkzeug writes (`spotlight-nifi failures hash-password`); anything else,
a password in clear above all, is refused."""


@dataclass(frozen=True)
class WebConfig:
    dsn: str
    user: str
    password_hash: str = field(repr=False)
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(32), repr=False)
    kafka_bootstrap: str | None = None
    clickhouse_url: str | None = None
    http_ingress: str | None = None
    secure_cookie: bool = False

    def __post_init__(self) -> None:
        if not self.password_hash.startswith(HASH_METHODS) or "$" not in self.password_hash:
            raise ConfigError("FAILURES_WEB_PASSWORD_HASH", "`FAILURES_WEB_PASSWORD_HASH` is not a password hash: "
                              "`spotlight-nifi failures hash-password` prints one to put there")

    @classmethod
    def load(cls, settings: Settings, dsn: str | None = None) -> WebConfig:
        """The settings' values; an error names the first required variable that is not set."""
        hint = "`spotlight-nifi failures hash-password` prints one"
        key = settings.get("FAILURES_WEB_SECRET_KEY")
        return cls(
            dsn=dsn or settings.require("FAILURE_DB_DSN", hint="`spotlight-nifi dev env` prints the local stack's"),
            user=settings.get("FAILURES_WEB_USER", "steward") or "steward",
            password_hash=settings.require("FAILURES_WEB_PASSWORD_HASH", hint=hint),
            **({"secret_key": key} if key else {}),
            kafka_bootstrap=settings.get("KAFKA_BOOTSTRAP_SERVERS"),
            clickhouse_url=settings.get("CLICKHOUSE_URL"),
            http_ingress=settings.get("NIFI_HTTP_INGRESS_URL"),
            secure_cookie=(settings.get("FAILURES_WEB_SECURE_COOKIE", "false") or "").lower() == "true",
        )
