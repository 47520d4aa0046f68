"""Property keys and values of NiFi's own components that changed between releases: data, not code.

Constructors in `components` write what the pinned release (`versions.NIFI_VERSION`) calls a
property; `release` turns that back into what an older target calls it, with these rows. Each row
was read from Apache NiFi's sources (the descriptor's `.name(...)`, which is the key in flow JSON,
and its allowable values) at every tag from rel/nifi-2.3.0 to rel/nifi-2.11.0 and on the 2.12.0
line. Most keys became their display names in 2.7.0 (NIFI-15164), but not all exactly: the new
key is the one NiFi's source names, never a guess from the display name.

Only components with a constructor are covered; ConsumeKafka, PublishKafka, Kafka3ConnectionService
and RouteOnAttribute kept their keys. `TARGET_VERSIONS` are the releases these rows were checked
against; any other version is refused rather than guessed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from spotlight_nifi.versions import NIFI_VERSION

TARGET_VERSIONS: tuple[str, ...] = (
    "2.3.0", "2.4.0", "2.5.0", "2.6.0", "2.7.0", "2.7.1", "2.7.2", "2.8.0", "2.9.0", "2.10.0", "2.11.0",
    NIFI_VERSION,
)

PUBLISH_KAFKA = "org.apache.nifi.kafka.processors.PublishKafka"
JSON_TREE_READER = "org.apache.nifi.json.JsonTreeReader"
JSON_WRITER = "org.apache.nifi.json.JsonRecordSetWriter"
DBCP_POOL = "org.apache.nifi.dbcp.DBCPConnectionPool"
PUT_DATABASE_RECORD = "org.apache.nifi.processors.standard.PutDatabaseRecord"
VALIDATE_RECORD = "org.apache.nifi.processors.standard.ValidateRecord"
LISTEN_HTTP = "org.apache.nifi.processors.standard.ListenHTTP"
UPDATE_ATTRIBUTE = "org.apache.nifi.processors.attributes.UpdateAttribute"


@dataclass(frozen=True)
class Renamed:
    """`type`'s property is `key` from release `since` on, and was `before` until then."""

    type: str
    key: str
    before: str
    since: str


@dataclass(frozen=True)
class Revalued:
    """`type`'s property `key` takes `value` from release `since` on, where it took `before` until then."""

    type: str
    key: str
    value: str
    before: str
    since: str


def _renamed(type: str, since: str, keys: Mapping[str, str]) -> tuple[Renamed, ...]:
    return tuple(Renamed(type, key, before, since) for key, before in keys.items())


# SchemaAccessUtils (nifi-avro-record-utils): shared by the record readers, writers and ValidateRecord.
_SCHEMA_ACCESS = {
    "Schema Access Strategy": "schema-access-strategy",
    "Schema Registry": "schema-registry",
    "Schema Name": "schema-name",
    "Schema Version": "schema-version",
    "Schema Branch": "schema-branch",
    "Schema Text": "schema-text",
}
_SCHEMA_REFERENCE_READER = {"Schema Reference Reader": "schema-reference-reader"}

RENAMED: tuple[Renamed, ...] = (
    *_renamed(JSON_TREE_READER, "2.7.0", {
        **_SCHEMA_ACCESS, **_SCHEMA_REFERENCE_READER,
        "Schema Inference Cache": "schema-inference-cache",
        "Starting Field Strategy": "starting-field-strategy",
        "Starting Field Name": "starting-field-name",
        "Schema Application Strategy": "schema-application-strategy",
    }),
    *_renamed(JSON_WRITER, "2.7.0", {
        **_SCHEMA_ACCESS, **_SCHEMA_REFERENCE_READER,
        "Schema Cache": "schema-cache",
        "Suppress Null Values": "suppress-nulls",
        "Output Grouping": "output-grouping",
        "Compression Format": "compression-format",
        "Compression Level": "compression-level",
    }),
    *_renamed(DBCP_POOL, "2.7.0", {
        "Database Driver Locations": "database-driver-locations",
        "Kerberos User Service": "kerberos-user-service",
        "Validation Query": "Validation-query",
        "Minimum Idle Connections": "dbcp-min-idle-conns",
        "Maximum Idle Connections": "dbcp-max-idle-conns",
        "Maximum Connection Lifetime": "dbcp-max-conn-lifetime",
        "Time Between Eviction Runs": "dbcp-time-between-eviction-runs",
        "Minimum Evictable Idle Time": "dbcp-min-evictable-idle-time",
        "Soft Minimum Evictable Idle Time": "dbcp-soft-min-evictable-idle-time",
    }),
    *_renamed(PUT_DATABASE_RECORD, "2.7.0", {
        "Record Reader": "put-db-record-record-reader",
        "Database Type": "db-type",
        "Statement Type": "put-db-record-statement-type",
        "Database Connection Pooling Service": "put-db-record-dcbp-service",
        "Database Name": "put-db-record-catalog-name",
        "Schema Name": "put-db-record-schema-name",
        "Table Name": "put-db-record-table-name",
        "Binary String Format": "put-db-record-binary-format",
        "Translate Field Names": "put-db-record-translate-field-names",
        "Unmatched Field Behavior": "put-db-record-unmatched-field-behavior",
        "Unmatched Column Behavior": "put-db-record-unmatched-column-behavior",
        "Update Keys": "put-db-record-update-keys",
        "Field Containing SQL": "put-db-record-field-containing-sql",
        "Allow Multiple SQL Statements": "put-db-record-allow-multiple-statements",
        "Quote Column Identifiers": "put-db-record-quoted-identifiers",
        "Quote Table Identifiers": "put-db-record-quoted-table-identifiers",
        "Max Wait Time": "put-db-record-query-timeout",
        "Table Schema Cache Size": "table-schema-cache-size",
        "Maximum Batch Size": "put-db-record-max-batch-size",
        "Database Session AutoCommit": "database-session-autocommit",
    }),
    *_renamed(VALIDATE_RECORD, "2.7.0", {
        **_SCHEMA_ACCESS,
        "Record Reader": "record-reader",
        "Record Writer": "record-writer",
        "Record Writer for Invalid Records": "invalid-record-writer",
        "Allow Extra Fields": "allow-extra-fields",
        "Strict Type Checking": "strict-type-checking",
        "Force Types From Reader Schema": "coerce-types",
        "Validation Details Attribute Name": "validation-details-attribute-name",
        "Maximum Validation Details Length": "maximum-validation-details-length",
    }),
    *_renamed(LISTEN_HTTP, "2.7.0", {
        "Listening Port for Health Check Requests": "health-check-port",
        "Authorized Subject DN Pattern": "Authorized DN Pattern",
        "Authorized Issuer DN Pattern": "authorized-issuer-dn-pattern",
        "HTTP Headers for Attributes": "HTTP Headers to receive as Attributes (Regex)",
        "Multipart Request Max Size": "multipart-request-max-size",
        "Multipart Read Buffer Size": "multipart-read-buffer-size",
        "Client Authentication": "client-authentication",
        "Maximum Thread Pool Size": "max-thread-pool-size",
        "Record Reader": "record-reader",
        "Record Writer": "record-writer",
    }),
    *_renamed(UPDATE_ATTRIBUTE, "2.7.0", {
        "Cache Value Lookup Cache Size": "canonical-value-lookup-cache-size",
    }),
)

REVALUED: tuple[Revalued, ...] = (
    # NIFI-14375: the round-robin partitioner became Kafka's own class.
    Revalued(PUBLISH_KAFKA, "partitioner.class", "org.apache.kafka.clients.producer.RoundRobinPartitioner",
             "org.apache.nifi.processors.kafka.pubsub.Partitioners.RoundRobinPartitioner", "2.4.0"),
)
