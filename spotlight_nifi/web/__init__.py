"""The data stewards' web page over the failure DB: `spotlight-nifi failures serve`."""

from __future__ import annotations

from spotlight_nifi.web.app import create_app, serve, server
from spotlight_nifi.web.auth import password_hash
from spotlight_nifi.web.config import WebConfig

__all__ = ["WebConfig", "create_app", "password_hash", "serve", "server"]
