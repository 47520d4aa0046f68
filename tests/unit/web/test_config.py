"""The review page's settings, and the steward password hash."""

from __future__ import annotations

import pytest
from werkzeug.security import check_password_hash

from spotlight_nifi.config import Settings
from spotlight_nifi.errors import ConfigError
from spotlight_nifi.web import WebConfig, password_hash


def test_config_from_settings() -> None:
    hashed = password_hash("a long steward password")
    config = WebConfig.load(Settings(environ={"FAILURE_DB_DSN": "dbname=f", "FAILURES_WEB_PASSWORD_HASH": hashed,
                                              "FAILURES_WEB_SECRET_KEY": "k" * 32, "KAFKA_BOOTSTRAP_SERVERS": "h:9092",
                                              "FAILURES_WEB_SECURE_COOKIE": "true"}))
    assert (config.dsn, config.user, config.secret_key, config.kafka_bootstrap, config.clickhouse_url,
            config.secure_cookie) == ("dbname=f", "steward", "k" * 32, "h:9092", None, True)
    assert check_password_hash(config.password_hash, "a long steward password")
    assert hashed not in repr(config) and "k" * 32 not in repr(config)
    other = WebConfig.load(Settings(environ={"FAILURES_WEB_PASSWORD_HASH": hashed}), dsn="dbname=g")
    assert other.dsn == "dbname=g" and len(other.secret_key) >= 32 and not other.secure_cookie


def test_missing_settings_are_named() -> None:
    with pytest.raises(ConfigError, match="`FAILURES_WEB_PASSWORD_HASH` is not set: .*hash-password` prints one"):
        WebConfig.load(Settings(environ={"FAILURE_DB_DSN": "dbname=f"}))
    with pytest.raises(ConfigError, match="`FAILURE_DB_DSN` is not set"):
        WebConfig.load(Settings(environ={}))
