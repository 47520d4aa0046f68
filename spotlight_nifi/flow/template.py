"""The standard Spotlight flow: Kafka topics and HTTP batches → ClickHouse tables, every failure → the failure DB.

`ingest_flow` builds one flow with shared services at its top (JSON reader, the failure-DB pool,
and for Kafka topics the Kafka connection and JSON writer) and one process group per ingress:
`kafka_to_clickhouse` for a `Topic`, `http_to_clickhouse` for an `HttpIngress`. Both put their
source in front of the same load chain (`load_chain`), written once:

    ConsumeKafka  ─┐
    or ListenHTTP ─┴─success──▶ CastToClickHouse ──success──▶ InsertClickHouse ──success──▶ (stored)
        │ parse failure (Kafka)    │ failure  │ success (copy)        │ failure (after retries)
        └────────────────────────▶ AnnotateFailure ◀────────────────────┘
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

An HTTP producer POSTs a batch (JSON Lines or one JSON array, as CastToClickHouse reads them);
ListenHTTP answers 200 only once the batch is stored in NiFi, so a producer that gets no 200
sends it again. Every setting is a parameter of the `spotlight` context, filled from `.env` at
deploy time; passwords are sensitive parameters and never have a value in the flow JSON.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, Union

from spotlight_nifi.flow import components as c
from spotlight_nifi.flow.model import (
    ControllerService,
    Flow,
    Label,
    Parameter,
    ParameterContext,
    ProcessGroup,
    Processor,
)

CONTEXT_NAME = "spotlight"
FAILURE_INBOX = "failure_inbox"
HTTP_INGRESS_PARAMETERS = "http.ingress"

SchemaMode = Literal["create", "evolve", "reject"]


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
        Parameter("clickhouse.cluster", "", env="CLICKHOUSE_CLUSTER"),
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
    schema_mode: SchemaMode = "reject"
    name: str = ""


@dataclass(frozen=True)
class HttpIngress:
    """Batches POSTed to `http://<nifi host>:<port>/<path>` and the ClickHouse table they land in.

    Port and path are parameters `<parameters>.port` and `<parameters>.base.path`, filled from the
    `.env` keys `NIFI_<PARAMETERS>_PORT` and `NIFI_<PARAMETERS>_BASE_PATH` (`NIFI_HTTP_INGRESS_PORT`
    for the default), so each environment picks its own; `port` and `path` are their defaults.
    One port serves one ListenHTTP, so each HTTP ingress of a flow needs its own `parameters`.
    """

    path: str
    table: str
    port: int = 8081
    parameters: str = HTTP_INGRESS_PARAMETERS
    batch_size: int = 10000
    schema_mode: SchemaMode = "reject"
    name: str = ""

    def __post_init__(self) -> None:
        if not self.path or self.path.startswith("/") or self.path.endswith("/"):
            raise ValueError(f"HTTP ingress path `{self.path}` must be non-empty and neither start nor end "
                             "with `/` (ListenHTTP's Base Path), e.g. `events`")

    def parameter_list(self) -> tuple[Parameter, Parameter]:
        """Its port and base-path parameters, with their defaults and `.env` keys."""
        return (Parameter(f"{self.parameters}.port", str(self.port), env=_env_key(self.parameters, "PORT"),
                          description="Port ListenHTTP serves this HTTP ingress on."),
                Parameter(f"{self.parameters}.base.path", self.path, env=_env_key(self.parameters, "BASE_PATH"),
                          description="URL path this HTTP ingress accepts batches on."))


Ingress = Union[Topic, HttpIngress]


def _env_key(parameters: str, suffix: str) -> str:
    """`http.ingress` → `NIFI_HTTP_INGRESS_<suffix>`: NiFi itself listens, hence the prefix."""
    return "NIFI_" + parameters.upper().replace(".", "_").replace("-", "_") + "_" + suffix


@dataclass(frozen=True)
class SharedServices:
    """The controller services of the flow's top group that the ingress groups use; Kafka's only
    when the flow has a topic."""

    reader: ControllerService
    failure_db: ControllerService
    kafka: ControllerService | None = None
    writer: ControllerService | None = None


@dataclass(frozen=True)
class Source:
    """What an ingress puts in front of the load chain: its processor, and the relationships that
    carry data it could not read (they go to the failure DB like every other failure)."""

    processor: Processor
    failures: tuple[str, ...] = ()


def _ingress_group(name: str, source: str, source_code: str, table: str,
                   parameters: ParameterContext) -> ProcessGroup:
    """An empty ingress group, described in its comments (`source`) and on its label (`source_code`).

    NiFi does not pass a parent's parameter context down to child groups, so the group binds
    `parameters` itself."""
    group = ProcessGroup(name, parameter_context=parameters, comments=f"{source} → ClickHouse table {table}.")
    group.add(Label("About", text=f"{source_code} → ClickHouse `{table}`; "
                                  "failures → failure DB (spotlight-nifi failures list)"))
    return group


def load_chain(group: ProcessGroup, source: Source, spec: Ingress, services: SharedServices, flow_name: str) -> None:
    """Cast → insert → failure DB behind `source`, the same for every ingress."""
    cast = group.add(c.cast_to_clickhouse(
        "Cast to column types", url="#{clickhouse.url}", table=spec.table, user="#{clickhouse.user}",
        password="#{clickhouse.password}", schema_mode=spec.schema_mode, cluster="#{clickhouse.cluster}",
        auto_terminate=("original",)))
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
    group.connect(source.processor, cast, "success")
    if source.failures:
        group.connect(source.processor, annotate, *source.failures)
    group.connect(cast, sink, "success")
    group.connect(cast, annotate, "failure", "success")
    group.connect(sink, annotate, "failure")
    group.connect(annotate, annotate, "failure", name="held for an operator")
    group.connect(annotate, store, "success")
    group.connect(store, store, "failure", "retry", name="held until the failure DB accepts it")


def kafka_to_clickhouse(spec: Topic, services: SharedServices, flow_name: str,
                        parameters: ParameterContext) -> ProcessGroup:
    """The process group that loads one topic into one table and routes every failure."""
    if services.kafka is None or services.writer is None:
        raise ValueError(f"flow `{flow_name}`: topic `{spec.topic}` needs the shared Kafka connection and JSON writer")
    group = _ingress_group(spec.name or f"{spec.topic} → {spec.table}", f"Kafka topic {spec.topic}",
                           f"Kafka `{spec.topic}`", spec.table, parameters)
    consume = group.add(c.consume_kafka(
        f"Consume {spec.topic}", connection=services.kafka, topics=spec.topic, group_id="#{kafka.group.id}",
        reader=services.reader, writer=services.writer))
    load_chain(group, Source(consume, ("parse failure",)), spec, services, flow_name)
    return group


def http_to_clickhouse(spec: HttpIngress, services: SharedServices, flow_name: str,
                       parameters: ParameterContext) -> ProcessGroup:
    """The process group that loads batches POSTed over HTTP into one table and routes every failure."""
    group = _ingress_group(spec.name or f"HTTP {spec.path} → {spec.table}", f"HTTP POST /{spec.path}",
                           f"HTTP POST `/{spec.path}`", spec.table, parameters)
    listen = group.add(c.listen_http("Listen for HTTP batches", port="#{" + spec.parameters + ".port}",
                                     base_path="#{" + spec.parameters + ".base.path}"))
    load_chain(group, Source(listen), spec, services, flow_name)
    return group


def _http_parameters(flow_name: str, ingresses: Sequence[Ingress]) -> list[Parameter]:
    """The port and path parameters of every HTTP ingress; two sharing them would share one port."""
    owners: dict[str, HttpIngress] = {}
    for spec in ingresses:
        if isinstance(spec, HttpIngress):
            other = owners.setdefault(spec.parameters, spec)
            if other is not spec:
                raise ValueError(
                    f"flow `{flow_name}`: HTTP ingresses `{other.path}` and `{spec.path}` both use parameters "
                    f"`{spec.parameters}`; one port serves one ListenHTTP: give each its own parameters=...")
    return [p for spec in owners.values() for p in spec.parameter_list()]


_GROUPS: dict[type, Callable[..., ProcessGroup]] = {Topic: kafka_to_clickhouse, HttpIngress: http_to_clickhouse}


def ingest_flow(name: str, ingresses: Sequence[Ingress], *, description: str = "") -> Flow:
    """One flow loading every ingress of `ingresses` (Kafka topics, HTTP batches) into its table,
    with shared services on top."""
    if not ingresses:
        raise ValueError(f"flow `{name}` declares no ingress (a Topic or an HttpIngress)")
    parameters = spotlight_parameters()
    parameters.parameters.extend(_http_parameters(name, ingresses))
    topics = sum(isinstance(spec, Topic) for spec in ingresses)
    flow = Flow(name, description=description or _describe(topics, len(ingresses) - topics),
                parameter_context=parameters)
    kafka = flow.add(c.kafka_connection(bootstrap_servers="#{kafka.bootstrap.servers}",
                                        security_protocol="#{kafka.security.protocol}")) if topics else None
    reader = flow.add(c.json_reader())
    writer = flow.add(c.json_writer()) if topics else None
    failure_db = flow.add(c.dbcp_pool("Failure DB", url="#{failure_db.jdbc.url}", driver_class="org.postgresql.Driver",
                                      driver_locations="#{failure_db.jdbc.driver}", user="#{failure_db.user}",
                                      password="#{failure_db.password}"))
    services = SharedServices(reader=reader, failure_db=failure_db, kafka=kafka, writer=writer)
    for spec in ingresses:
        flow.add(_GROUPS[type(spec)](spec, services, name, parameters))
    return flow


def _describe(topics: int, http: int) -> str:
    sources = [f"{count} {what}" for count, what in ((topics, "Kafka topic(s)"), (http, "HTTP ingress(es)")) if count]
    return " + ".join(sources) + " → ClickHouse; failures → failure DB"
