"""The NiFi Python processors this project ships: names, version, properties, relationships.

One source of truth, read by three places: the flow DSL (typed constructors), the runtime
manifest (NiFi reports Python processors there; we add these specs so flows that use them are
validated before a NiFi has loaded them), and the processors in `processors/` (which build
their `PropertyDescriptor`s from these specs).
"""

from __future__ import annotations

from dataclasses import dataclass

PROCESSORS_VERSION = "0.1.0"
PYTHON_RELATIONSHIPS = ("failure", "original", "success")


@dataclass(frozen=True)
class ProcessorProperty:
    name: str
    description: str
    required: bool = False
    sensitive: bool = False
    default: str | None = None
    allowable: tuple[str, ...] = ()
    positive_integer: bool = False


@dataclass(frozen=True)
class PythonProcessorSpec:
    type: str
    description: str
    properties: tuple[ProcessorProperty, ...]
    version: str = PROCESSORS_VERSION
    relationships: tuple[str, ...] = PYTHON_RELATIONSHIPS

    def property(self, name: str) -> ProcessorProperty:
        for prop in self.properties:
            if prop.name == name:
                return prop
        raise KeyError(f"{self.type} has no property `{name}`")


CLICKHOUSE_URL = ProcessorProperty(
    "ClickHouse URL", "http(s)://host:port/database for a ClickHouse server, or chdb:///path for the embedded engine.",
    required=True)
CLICKHOUSE_USER = ProcessorProperty("ClickHouse User", "User for a ClickHouse server.", default="default")
CLICKHOUSE_PASSWORD = ProcessorProperty("ClickHouse Password", "Password for a ClickHouse server.", sensitive=True)
TABLE = ProcessorProperty("Table", "Target ClickHouse table.", required=True)
FLOW_NAME = ProcessorProperty("Flow Name", "Flow recorded with every failure.", required=True)

CAST = PythonProcessorSpec(
    "CastToClickHouse",
    "Casts a batch of JSON records (JSON Lines, a JSON array, or ConsumeKafka wrapper records) to the "
    "target table's column types and writes every record read to success, one JSON line each: a record "
    "that fits carries its value, one that does not carries its reason and raw bytes. failure is for "
    "the whole batch only (ClickHouse unreachable, table missing).",
    (
        CLICKHOUSE_URL, CLICKHOUSE_USER, CLICKHOUSE_PASSWORD, TABLE,
        ProcessorProperty("Schema Mode", "What to do when the table is missing or records carry new fields: create "
                     "the table from the first records, also evolve it, or reject such records.",
                     required=True, default="reject", allowable=("create", "evolve", "reject")),
        ProcessorProperty("Sample Size", "Records used to infer a new table's columns.", default="1000",
                          positive_integer=True),
        ProcessorProperty("ClickHouse Cluster", "The server's cluster: a table that Schema Mode creates or evolves "
                          "is replicated on every node behind a Distributed table of its name, and altered ON "
                          "CLUSTER. Empty for a single server."),
        ProcessorProperty("Lenient Parsing", "Repair malformed JSON where possible, recording the repair.",
                     default="true", allowable=("true", "false")),
    ),
)

INSERT = PythonProcessorSpec(
    "InsertClickHouse",
    "Inserts a batch of cast JSON records into ClickHouse in one native insert.",
    (
        CLICKHOUSE_URL, CLICKHOUSE_USER, CLICKHOUSE_PASSWORD, TABLE,
        ProcessorProperty("Batch Size", "Rows per insert statement.", default="10000", positive_integer=True),
    ),
)

ANNOTATE = PythonProcessorSpec(
    "AnnotateFailure",
    "Turns any failed FlowFile into one failure-DB record: raw bytes, topic, partition, offset, flow, "
    "processor and reason.",
    (FLOW_NAME,),
)

ALL = (CAST, INSERT, ANNOTATE)
