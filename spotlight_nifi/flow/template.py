"""The standard Spotlight flow: Kafka topics → ClickHouse tables, every failure → the failure DB.

`ingest_flow` builds one flow with shared services at its top (Kafka connection, JSON reader and
writer, the failure-DB pool) and one process group per topic from `kafka_to_clickhouse`:

    ConsumeKafka ──success──▶ CastToClickHouse ──success──▶ InsertClickHouse ──success──▶ (stored)
        │ parse failure          │ failure  │ success (copy)        │ failure (after retries)
        └──────────────────────▶ AnnotateFailure ◀────────────────────┘
                                       │ success
                                       ▼
              PutDatabaseRecord into `failure_inbox` ──failure/retry──▶ itself (held, penalized)

CastToClickHouse writes every record it reads into its one `success` FlowFile (NiFi routes a
FlowFile on `failure` with its original content, so good and bad records travel together, see
`spotlight_nifi.ingest.envelope`): InsertClickHouse inserts the lines that fit, and a copy goes
to AnnotateFailure, which turns each line that does not fit into one failure-DB row. Inserts
carry a deduplication token per FlowFile and batch, so retries of transient ClickHouse errors
never duplicate rows. The failure DB's `failure_inbox` table upserts each row into `failures`
(a record failing again counts an attempt). No relationship that could carry data is
auto-terminated: only InsertClickHouse's `success` (the rows are stored), the failure writer's
`success`, and the transforms' `original` (every record left on another relationship) are.

The sink is our native insert, not PutDatabaseRecord over JDBC: NiFi's record writer cannot
flatten nested JSON into the one-column-per-leaf layout `spotlight-nifi infer` creates, and a
JDBC retry after a partial insert would duplicate rows.
Every setting is a parameter of the `spotlight` context, filled from `.env` at deploy time;
passwords are sensitive parameters and never have a value in the flow JSON.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from spotlight_nifi.flow import components as c
from spotlight_nifi.flow.model import ControllerService, Flow, Label, Parameter, ParameterContext, ProcessGroup

CONTEXT_NAME = "spotlight"
FAILURE_INBOX = "failure_inbox"


def spotlight_parameters(name: str = CONTEXT_NAME) -> ParameterContext:
    """The parameters every ingest flow uses, each naming the `.env` key that fills it."""
    return ParameterContext(name, description="Spotlight ingest settings, filled from .env at deploy time.",
                            parameters=[
        Parameter("kafka.bootstrap.servers", "127.0.0.1:9092", env="KAFKA_BOOTSTRAP_SERVERS"),
        Parameter("kafka.security.protocol", "PLAINTEXT", env="KAFKA_SECURITY_PROTOCOL"),
        Parameter("kafka.group.id", "spotlight-nifi", env="KAFKA_GROUP_ID"),
        Parameter("clickhouse.url", "http://127.0.0.1:8123/default", env="CLICKHOUSE_URL"),
        Parameter("clickhouse.user", "default", env="CLICKHOUSE_USER"),
        Parameter("clickhouse.password", sensitive=True, env="CLICKHOUSE_PASSWORD"),
        Parameter("failure_db.jdbc.url", "jdbc:postgresql://127.0.0.1:5432/spotlight", env="FAILURE_DB_JDBC_URL"),
        Parameter("failure_db.user", "spotlight", env="FAILURE_DB_USER"),
        Parameter("failure_db.password", sensitive=True, env="FAILURE_DB_PASSWORD"),
        Parameter("failure_db.jdbc.driver", "/opt/nifi/drivers/postgresql.jar", env="FAILURE_DB_JDBC_DRIVER"),
    ])


@dataclass(frozen=True)
class Topic:
    """One Kafka topic and the ClickHouse table it lands in."""

    topic: str
    table: str
    batch_size: int = 10000
    schema_mode: Literal["create", "evolve", "reject"] = "reject"
    name: str = ""


@dataclass(frozen=True)
class SharedServices:
    """The controller services of the flow's top group that every topic group uses."""

    kafka: ControllerService
    reader: ControllerService
    writer: ControllerService
    failure_db: ControllerService


def kafka_to_clickhouse(spec: Topic, services: SharedServices, flow_name: str,
                        parameters: ParameterContext) -> ProcessGroup:
    """The process group that loads one topic into one table and routes every failure.

    NiFi does not pass a parent's parameter context down to child groups, so the group binds
    `parameters` itself.
    """
    group = ProcessGroup(spec.name or f"{spec.topic} → {spec.table}", parameter_context=parameters,
                         comments=f"Kafka topic {spec.topic} → ClickHouse table {spec.table}.")
    group.add(Label("About", text=f"Kafka `{spec.topic}` → ClickHouse `{spec.table}`; "
                                  "failures → failure DB (spotlight-nifi failures list)"))
    consume = group.add(c.consume_kafka(
        f"Consume {spec.topic}", connection=services.kafka, topics=spec.topic, group_id="#{kafka.group.id}",
        reader=services.reader, writer=services.writer))
    cast = group.add(c.cast_to_clickhouse(
        "Cast to column types", url="#{clickhouse.url}", table=spec.table, user="#{clickhouse.user}",
        password="#{clickhouse.password}", schema_mode=spec.schema_mode, auto_terminate=("original",)))
    sink = group.add(c.insert_clickhouse(
        f"Insert into {spec.table}", url="#{clickhouse.url}", table=spec.table, user="#{clickhouse.user}",
        password="#{clickhouse.password}", batch_size=spec.batch_size,
        auto_terminate=("original", "success"), retried_relationships=("failure",), retry_count=5))
    annotate = group.add(c.annotate_failure("Annotate failure", flow_name=flow_name, auto_terminate=("original",)))
    store = group.add(c.put_database_record(
        "Write to failure DB", reader=services.reader, pool=services.failure_db, table=FAILURE_INBOX,
        database_type="PostgreSQL", statement_type="INSERT", role="failure", auto_terminate=("success",),
        properties={"Unmatched Column Behavior": "Ignore Unmatched Columns", "Quote Column Identifiers": "true"},
        penalty_duration="1 min"))
    group.connect(consume, cast, "success")
    group.connect(consume, annotate, "parse failure")
    group.connect(cast, sink, "success")
    group.connect(cast, annotate, "failure", "success")
    group.connect(sink, annotate, "failure")
    group.connect(annotate, annotate, "failure", name="held for an operator")
    group.connect(annotate, store, "success")
    group.connect(store, store, "failure", "retry", name="held until the failure DB accepts it")
    return group


def ingest_flow(name: str, topics: Sequence[Topic], *, description: str = "") -> Flow:
    """One flow loading every topic of `topics` into its table, with shared services on top."""
    if not topics:
        raise ValueError(f"flow `{name}` declares no topic")
    parameters = spotlight_parameters()
    flow = Flow(name, description=description or f"{len(topics)} Kafka topic(s) → ClickHouse; failures → failure DB",
                parameter_context=parameters)
    services = SharedServices(
        kafka=flow.add(c.kafka_connection(bootstrap_servers="#{kafka.bootstrap.servers}",
                                          security_protocol="#{kafka.security.protocol}")),
        reader=flow.add(c.json_reader()),
        writer=flow.add(c.json_writer()),
        failure_db=flow.add(c.dbcp_pool("Failure DB", url="#{failure_db.jdbc.url}", driver_class="org.postgresql.Driver",
                                        driver_locations="#{failure_db.jdbc.driver}", user="#{failure_db.user}",
                                        password="#{failure_db.password}")),
    )
    for spec in topics:
        flow.add(kafka_to_clickhouse(spec, services, name, parameters))
    return flow
