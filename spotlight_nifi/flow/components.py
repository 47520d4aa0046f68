"""Typed constructors for the components Spotlight's flows use, plus the generic forms.

Each constructor knows its type, bundle, property keys and which properties are sensitive.
Keys, values and bundle versions are the pinned release's (`versions.NIFI_VERSION`; keys equal
the display names since NIFI-15164); `compile_flow` renders them for an older target with the
table in `property_changes`, so one flow source serves every environment. Anything else can be
set with `properties={...}`, in the pinned release's keys, and is checked against the runtime
manifest at build time. For a component without a constructor, use `processor(...)` /
`service(...)` with its type and NAR.
"""

from __future__ import annotations

from collections.abc import Mapping

from spotlight_nifi import processor_specs
from spotlight_nifi.ingest.batch import HTTP_BATCH
from spotlight_nifi.flow.model import Bundle, ControllerService, Processor, PropertyValue, Role
from spotlight_nifi.processor_specs import PythonProcessorSpec

STANDARD = "nifi-standard-nar"
KAFKA = "nifi-kafka-nar"
KAFKA3_SERVICE = "nifi-kafka-3-service-nar"
KAFKA_SERVICE_API = "nifi-kafka-service-api-nar"
RECORD_SERIALIZATION = "nifi-record-serialization-services-nar"
STANDARD_SERVICES_API = "nifi-standard-services-api-nar"
DBCP_SERVICE = "nifi-dbcp-service-nar"
UPDATE_ATTRIBUTE = "nifi-update-attribute-nar"

RECORD_READER_API = ("org.apache.nifi.serialization.RecordReaderFactory", Bundle.nifi(STANDARD_SERVICES_API))
RECORD_WRITER_API = ("org.apache.nifi.serialization.RecordSetWriterFactory", Bundle.nifi(STANDARD_SERVICES_API))
DBCP_API = ("org.apache.nifi.dbcp.DBCPService", Bundle.nifi(STANDARD_SERVICES_API))
KAFKA_CONNECTION_API = ("org.apache.nifi.kafka.service.api.KafkaConnectionService", Bundle.nifi(KAFKA_SERVICE_API))


def _merge(base: Mapping[str, PropertyValue], extra: Mapping[str, PropertyValue] | None) -> dict[str, PropertyValue]:
    merged = {k: v for k, v in base.items() if v is not None}
    merged.update(extra or {})
    return merged


def processor(name: str, type: str, artifact: str, properties: Mapping[str, PropertyValue] | None = None, *,
              sensitive: frozenset[str] = frozenset(), bundle: Bundle | None = None, **settings: object) -> Processor:
    """Any processor of the manifest, by fully qualified type and NAR artifact."""
    return Processor(name, type=type, bundle=bundle or Bundle.nifi(artifact), properties=dict(properties or {}),
                     sensitive=sensitive, **settings)  # type: ignore[arg-type]


def service(name: str, type: str, artifact: str, properties: Mapping[str, PropertyValue] | None = None, *,
            apis: tuple[tuple[str, Bundle], ...] = (), sensitive: frozenset[str] = frozenset(),
            bundle: Bundle | None = None) -> ControllerService:
    """Any controller service of the manifest, by fully qualified type and NAR artifact."""
    return ControllerService(name, type=type, bundle=bundle or Bundle.nifi(artifact),
                             properties=dict(properties or {}), apis=apis, sensitive=sensitive)


def kafka_connection(name: str = "Kafka", *, bootstrap_servers: str, security_protocol: str = "PLAINTEXT",
                     properties: Mapping[str, PropertyValue] | None = None) -> ControllerService:
    return service(name, "org.apache.nifi.kafka.service.Kafka3ConnectionService", KAFKA3_SERVICE,
                   _merge({"bootstrap.servers": bootstrap_servers, "security.protocol": security_protocol}, properties),
                   apis=(KAFKA_CONNECTION_API,), sensitive=frozenset({"sasl.password"}))


def json_reader(name: str = "JSON reader", properties: Mapping[str, PropertyValue] | None = None) -> ControllerService:
    return service(name, "org.apache.nifi.json.JsonTreeReader", RECORD_SERIALIZATION,
                   _merge({"Schema Access Strategy": "infer-schema"}, properties), apis=(RECORD_READER_API,))


def json_writer(name: str = "JSON writer", properties: Mapping[str, PropertyValue] | None = None) -> ControllerService:
    """JsonRecordSetWriter, one object per line; `Allow Scientific Notation` is written out because NiFi
    migrates a missing one to `true`."""
    return service(name, "org.apache.nifi.json.JsonRecordSetWriter", RECORD_SERIALIZATION,
                   _merge({"Schema Write Strategy": "no-schema", "Schema Access Strategy": "inherit-record-schema",
                           "Output Grouping": "output-oneline", "Allow Scientific Notation": "false"}, properties),
                   apis=(RECORD_WRITER_API,))


def dbcp_pool(name: str, *, url: str, driver_class: str, driver_locations: str, user: str, password: str,
              properties: Mapping[str, PropertyValue] | None = None) -> ControllerService:
    return service(name, "org.apache.nifi.dbcp.DBCPConnectionPool", DBCP_SERVICE,
                   _merge({"Database Connection URL": url, "Database Driver Class Name": driver_class,
                           "Database Driver Locations": driver_locations, "Database User": user,
                           "Password": password}, properties),
                   apis=(DBCP_API,), sensitive=frozenset({"Password"}))


def consume_kafka(name: str, *, connection: ControllerService, topics: str, group_id: str,
                  reader: ControllerService, writer: ControllerService, offset_reset: str = "earliest",
                  properties: Mapping[str, PropertyValue] | None = None, **settings: object) -> Processor:
    """ConsumeKafka in record mode, wrapping each record with its topic, partition and offset."""
    return processor(name, "org.apache.nifi.kafka.processors.ConsumeKafka", KAFKA, _merge({
        "Kafka Connection Service": connection, "Group ID": group_id, "Topic Format": "names", "Topics": topics,
        "auto.offset.reset": offset_reset, "Commit Offsets": "true", "Processing Strategy": "RECORD",
        "Record Reader": reader, "Record Writer": writer, "Output Strategy": "USE_WRAPPER",
    }, properties), role="source", **settings)


def publish_kafka(name: str, *, connection: ControllerService, topic: str,
                  properties: Mapping[str, PropertyValue] | None = None, **settings: object) -> Processor:
    return processor(name, "org.apache.nifi.kafka.processors.PublishKafka", KAFKA,
                     _merge({"Kafka Connection Service": connection, "Topic Name": topic}, properties),
                     role="sink", **settings)


def listen_http(name: str, *, port: str, base_path: str,
                properties: Mapping[str, PropertyValue] | None = None, **settings: object) -> Processor:
    """ListenHTTP: each POST body becomes one FlowFile on `success`, answered 200 only once NiFi has stored it.

    Plain HTTP unless `properties` name an `SSL Context Service`; NiFi gives it no bind address (it
    listens on every interface). The `Spotlight-Batch` header a producer names its batch with becomes
    an attribute, so a re-sent batch is recognised downstream (`spotlight_nifi.ingest.batch.HTTP_BATCH`)."""
    return processor(name, "org.apache.nifi.processors.standard.ListenHTTP", STANDARD,
                     _merge({"Base Path": base_path, "Listening Port": port, "HTTP Headers for Attributes": HTTP_BATCH},
                            properties), role="source", **settings)


def put_database_record(name: str, *, reader: ControllerService, pool: ControllerService, table: str,
                        database_type: str = "Generic", statement_type: str = "INSERT",
                        properties: Mapping[str, PropertyValue] | None = None, role: Role = "sink",
                        **settings: object) -> Processor:
    return processor(name, "org.apache.nifi.processors.standard.PutDatabaseRecord", STANDARD, _merge({
        "Record Reader": reader, "Database Type": database_type, "Statement Type": statement_type,
        "Database Connection Pooling Service": pool, "Table Name": table,
    }, properties), role=role, **settings)


def validate_record(name: str, *, reader: ControllerService, writer: ControllerService,
                    properties: Mapping[str, PropertyValue] | None = None, **settings: object) -> Processor:
    return processor(name, "org.apache.nifi.processors.standard.ValidateRecord", STANDARD,
                     _merge({"Record Reader": reader, "Record Writer": writer}, properties), **settings)


def route_on_attribute(name: str, routes: Mapping[str, str], *, strategy: str = "Route to Property name",
                       **settings: object) -> Processor:
    """RouteOnAttribute: each entry of `routes` is a relationship and its Expression Language test."""
    return processor(name, "org.apache.nifi.processors.standard.RouteOnAttribute", STANDARD,
                     {"Routing Strategy": strategy, **routes}, **settings)


def update_attribute(name: str, attributes: Mapping[str, str], **settings: object) -> Processor:
    """UpdateAttribute: each entry of `attributes` sets one attribute (Expression Language allowed)."""
    return processor(name, "org.apache.nifi.processors.attributes.UpdateAttribute", UPDATE_ATTRIBUTE,
                     dict(attributes), **settings)


def python_processor(name: str, spec: PythonProcessorSpec, properties: Mapping[str, PropertyValue],
                     **settings: object) -> Processor:
    """One of this project's Python processors (see `spotlight_nifi.processor_specs`)."""
    unknown = sorted(set(properties) - {p.name for p in spec.properties})
    if unknown:
        raise ValueError(f"{spec.type} has no property `{unknown[0]}`")
    return Processor(name, type=spec.type, bundle=Bundle.python(spec.version), properties=dict(properties),
                     sensitive=frozenset(p.name for p in spec.properties if p.sensitive), **settings)  # type: ignore[arg-type]


def cast_to_clickhouse(name: str, *, url: str, table: str, user: str, password: str, schema_mode: str = "reject",
                       cluster: str | None = None, **settings: object) -> Processor:
    return python_processor(name, processor_specs.CAST, {
        "ClickHouse URL": url, "ClickHouse User": user, "ClickHouse Password": password, "Table": table,
        "Schema Mode": schema_mode, **({"ClickHouse Cluster": cluster} if cluster is not None else {})}, **settings)


def insert_clickhouse(name: str, *, url: str, table: str, user: str, password: str, batch_size: int = 10000,
                      **settings: object) -> Processor:
    return python_processor(name, processor_specs.INSERT, {
        "ClickHouse URL": url, "ClickHouse User": user, "ClickHouse Password": password, "Table": table,
        "Batch Size": str(batch_size)}, role="sink", **settings)


def annotate_failure(name: str, *, flow_name: str, **settings: object) -> Processor:
    return python_processor(name, processor_specs.ANNOTATE, {"Flow Name": flow_name}, role="failure", **settings)
