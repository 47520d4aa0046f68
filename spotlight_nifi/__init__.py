"""spotlight-nifi: Apache NiFi 2.x flows as Python code, and the ClickHouse and failure-DB logic
that runs inside them.

The public surface: the flow DSL and what compiles, validates and diffs it; type inference and
loading for ClickHouse; the error hierarchy. Everything else is reached through its module.
"""

from __future__ import annotations

from spotlight_nifi.clickhouse import connect
from spotlight_nifi.clickhouse.tables import load
from spotlight_nifi.errors import (
    ConfigError,
    FlowDefinitionError,
    FlowError,
    FlowLoadError,
    InputDataError,
    ManifestError,
    ManifestValidationError,
    SchemaEvolutionError,
    ServiceError,
    SpotlightError,
)
from spotlight_nifi.flow.compile import compile_flow, to_json
from spotlight_nifi.flow.diff import diff_flows
from spotlight_nifi.flow.manifest import RuntimeManifest, load_manifest
from spotlight_nifi.flow.model import (
    Bundle,
    Connection,
    ControllerService,
    Flow,
    Funnel,
    Label,
    Parameter,
    ParameterContext,
    Port,
    ProcessGroup,
    Processor,
)
from spotlight_nifi.flow.template import Topic, ingest_flow, kafka_to_clickhouse
from spotlight_nifi.flow.validate import validate
from spotlight_nifi.infer import infer_table

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
