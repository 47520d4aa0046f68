"""spotlight-nifi: Apache NiFi 2.x flows as Python code, and the ClickHouse and failure-DB logic
that runs inside them.

The public surface: the flow DSL and what compiles, validates and diffs it; type inference and
loading for ClickHouse; the error hierarchy. Everything else is reached through its module.
"""

from __future__ import annotations

import importlib
from typing import Any

_HOMES = {
    'Bundle': 'spotlight_nifi.flow.model',
    'ConfigError': 'spotlight_nifi.errors',
    'Connection': 'spotlight_nifi.flow.model',
    'ControllerService': 'spotlight_nifi.flow.model',
    'Flow': 'spotlight_nifi.flow.model',
    'FlowDefinitionError': 'spotlight_nifi.errors',
    'FlowError': 'spotlight_nifi.errors',
    'FlowLoadError': 'spotlight_nifi.errors',
    'Funnel': 'spotlight_nifi.flow.model',
    'InputDataError': 'spotlight_nifi.errors',
    'Label': 'spotlight_nifi.flow.model',
    'ManifestError': 'spotlight_nifi.errors',
    'ManifestValidationError': 'spotlight_nifi.errors',
    'Parameter': 'spotlight_nifi.flow.model',
    'ParameterContext': 'spotlight_nifi.flow.model',
    'Port': 'spotlight_nifi.flow.model',
    'ProcessGroup': 'spotlight_nifi.flow.model',
    'Processor': 'spotlight_nifi.flow.model',
    'RuntimeManifest': 'spotlight_nifi.flow.manifest',
    'SchemaEvolutionError': 'spotlight_nifi.errors',
    'ServiceError': 'spotlight_nifi.errors',
    'SpotlightError': 'spotlight_nifi.errors',
    'Topic': 'spotlight_nifi.flow.template',
    'compile_flow': 'spotlight_nifi.flow.compile',
    'connect': 'spotlight_nifi.clickhouse',
    'diff_flows': 'spotlight_nifi.flow.diff',
    'infer_table': 'spotlight_nifi.infer',
    'ingest_flow': 'spotlight_nifi.flow.template',
    'kafka_to_clickhouse': 'spotlight_nifi.flow.template',
    'load': 'spotlight_nifi.clickhouse.tables',
    'load_manifest': 'spotlight_nifi.flow.manifest',
    'to_json': 'spotlight_nifi.flow.compile',
    'validate': 'spotlight_nifi.flow.validate',
}
"""Where each public name lives. They are imported on first use, so a NiFi Python processor that
imports one module of this package does not pull in the CLI-side dependencies (dotenv, typer, ...)."""


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'spotlight_nifi' has no attribute {name!r}")
    return getattr(importlib.import_module(_HOMES[name]), name)


__all__ = [
    "Bundle",
    "ConfigError",
    "Connection",
    "ControllerService",
    "Flow",
    "FlowDefinitionError",
    "FlowError",
    "FlowLoadError",
    "Funnel",
    "InputDataError",
    "Label",
    "ManifestError",
    "ManifestValidationError",
    "Parameter",
    "ParameterContext",
    "Port",
    "ProcessGroup",
    "Processor",
    "RuntimeManifest",
    "SchemaEvolutionError",
    "ServiceError",
    "SpotlightError",
    "Topic",
    "compile_flow",
    "connect",
    "diff_flows",
    "infer_table",
    "ingest_flow",
    "kafka_to_clickhouse",
    "load",
    "load_manifest",
    "to_json",
    "validate",
]
