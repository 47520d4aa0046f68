"""spotlight-nifi: Apache NiFi 2.x flows as Python code, and the ClickHouse and failure-DB logic
that runs inside them."""

from __future__ import annotations

from spotlight_nifi.errors import (
    ConfigError,
    FlowDefinitionError,
    FlowError,
    FlowLoadError,
    ManifestError,
    ManifestValidationError,
    SpotlightError,
)

__all__ = [
    "ConfigError",
    "FlowDefinitionError",
    "FlowError",
    "FlowLoadError",
    "ManifestError",
    "ManifestValidationError",
    "SpotlightError",
]
