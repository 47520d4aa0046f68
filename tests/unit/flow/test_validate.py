"""Validation against a real NiFi runtime manifest (NARs of NiFi 2.3.0, see tests/conftest.py).

Components are placed at version 2.3.0 with that release's property keys, so every check runs
against what NiFi itself documents for them.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from spotlight_nifi.flow import components as c
from spotlight_nifi.flow.compile import compile_flow
from spotlight_nifi.flow.manifest import RuntimeManifest
from spotlight_nifi.flow.model import Bundle, Flow, Parameter, ParameterContext
from spotlight_nifi.flow.target import with_project_processors
from spotlight_nifi.flow.validate import validate

V = "2.3.0"
READER = "org.apache.nifi.json.JsonTreeReader"
WRITER = "org.apache.nifi.json.JsonRecordSetWriter"
POOL = "org.apache.nifi.dbcp.DBCPConnectionPool"
GET_SPLUNK = "org.apache.nifi.processors.splunk.GetSplunk"


@pytest.fixture(scope="module")
def manifest(real_manifest: RuntimeManifest) -> RuntimeManifest:
    return with_project_processors(real_manifest)


def build(mutate: Callable[[dict], None] = lambda parts: None) -> Flow:
    """A valid flow; `mutate` changes its parts before they are wired."""
    parts: dict = {
        "reader": {"schema-access-strategy": "infer-schema"},
        "writer": {"Schema Write Strategy": "no-schema", "schema-access-strategy": "inherit-record-schema"},
        "pool": {"Database Connection URL": "#{db.url}", "Database Driver Class Name": "org.postgresql.Driver",
                 "Password": "#{db.password}"},
        "splunk": {"Scheme": "https", "Hostname": "splunk.internal"},
        "splunk_relationships": ("success",),
        "reader_type": READER,
        "reader_version": V,
        "cast_terminates": ("original",),
    }
    mutate(parts)
    flow = Flow("Check", parameter_context=ParameterContext("ctx", [
        Parameter("db.url", "jdbc:postgresql://db/x"), Parameter("db.password", sensitive=True, env="DB_PASSWORD"),
        Parameter("clickhouse.url", "chdb:///tmp/ch")]))
    flow.add(c.service("Reader", parts["reader_type"], "nifi-record-serialization-services-nar", parts["reader"],
                       bundle=Bundle.nifi("nifi-record-serialization-services-nar", parts["reader_version"])))
    flow.add(c.service("Writer", WRITER, "nifi-record-serialization-services-nar", parts["writer"],
                       bundle=Bundle.nifi("nifi-record-serialization-services-nar", V)))
    pool = flow.add(c.service("Pool", POOL, "nifi-dbcp-service-nar", parts["pool"], sensitive=frozenset({"Password"}),
                              bundle=Bundle.nifi("nifi-dbcp-service-nar", V)))
    if "schema-registry" in parts:
        flow.services[0].properties["schema-registry"] = pool
    splunk = flow.add(c.processor("Splunk", GET_SPLUNK, "nifi-splunk-nar", parts["splunk"],
                                  bundle=Bundle.nifi("nifi-splunk-nar", V)))
    cast = flow.add(c.cast_to_clickhouse("Cast", url="#{clickhouse.url}", table="events", user="default",
                                         password="#{db.password}", auto_terminate=parts["cast_terminates"]))
    insert = flow.add(c.insert_clickhouse("Insert", url="#{clickhouse.url}", table="events", user="default",
                                          password="#{db.password}", auto_terminate=("original", "success")))
    annotate = flow.add(c.annotate_failure("Annotate", flow_name="Check", auto_terminate=("original", "success", "failure")))
    flow.connect(splunk, cast, *parts["splunk_relationships"])
    flow.connect(cast, insert, "success")
    flow.connect(cast, annotate, "failure")
    flow.connect(insert, annotate, "failure")
    return flow


def issues(manifest: RuntimeManifest, mutate: Callable[[dict], None], **options) -> list[str]:
    report = validate("Check", compile_flow(build(mutate)), manifest, **options)
    return [str(issue) for issue in report.issues]


def test_a_correct_flow_has_no_issue_and_nothing_unchecked(manifest: RuntimeManifest) -> None:
    report = validate("Check", compile_flow(build()), manifest, strict=True)
    assert report.issues == [] and report.unchecked == {}


def set_in(part: str, key: str, value) -> Callable[[dict], None]:
    return lambda parts: parts[part].__setitem__(key, value)


def drop(part: str, key: str) -> Callable[[dict], None]:
    return lambda parts: parts[part].pop(key)


@pytest.mark.parametrize(("mutate", "expected"), [
    (lambda p: p["reader"].update({"schema-acess-strategy": p["reader"].pop("schema-access-strategy")}),
     ["flow `Check` at `Check/Reader`: unknown property `schema-acess-strategy` for "
      "`org.apache.nifi.json.JsonTreeReader`; did you mean `schema-access-strategy`?"]),
    (set_in("splunk", "Scheme", "ftp"),
     ["flow `Check` at `Check/Splunk`: property `Scheme` = `ftp` is not allowed; allowed: `https`, `http`"]),
    (drop("pool", "Database Driver Class Name"),
     ["flow `Check` at `Check/Pool`: required property `Database Driver Class Name` is not set"]),
    (set_in("pool", "Password", "hunter2"),
     ["flow `Check` at `Check/Pool`: sensitive property `Password` holds a literal value; use a sensitive "
      "parameter reference such as `#{clickhouse.password}` filled from the environment"]),
    (set_in("pool", "Database Connection URL", "#{db.ulr}"),
     ["flow `Check` at `Check/Pool`: property `Database Connection URL` uses parameter `db.ulr`, which the "
      "group's parameter context does not define; did you mean `db.url`?"]),
    (lambda p: p.update(splunk_relationships=("sucess",)),
     ["flow `Check` at `Check/Splunk`: unknown relationship `sucess` (relationships: `success`); did you mean "
      "`success`?",
      "flow `Check` at `Check/Splunk`: relationship `success` is neither connected nor auto-terminated; NiFi would "
      "mark the processor invalid: connect it (failures to the failure DB) or auto-terminate it"]),
    (lambda p: p.update(cast_terminates=()),
     ["flow `Check` at `Check/Cast`: relationship `original` is neither connected nor auto-terminated; NiFi would "
      "mark the processor invalid: connect it (failures to the failure DB) or auto-terminate it"]),
    (lambda p: p.update(reader_type="org.apache.nifi.json.JsonTreeReaders"),
     ["flow `Check` at `Check/Reader`: unknown controller service type `org.apache.nifi.json.JsonTreeReaders`; "
      "did you mean `org.apache.nifi.json.JsonTreeReader`?"]),
    (lambda p: p.update(reader_version="2.12.0"),
     ["flow `Check` at `Check/Reader`: type `org.apache.nifi.json.JsonTreeReader` is not in bundle "
      "`org.apache.nifi:nifi-record-serialization-services-nar:2.12.0`; the manifest has it in "
      "`org.apache.nifi:nifi-record-serialization-services-nar:2.3.0`"]),
    (lambda p: p.update({"schema-registry": True}),
     ["flow `Check` at `Check/Reader`: property `schema-registry` names `Pool` (org.apache.nifi.dbcp.DBCPConnectionPool), "
      "which does not implement `org.apache.nifi.schemaregistry.services.SchemaRegistry`"]),
], ids=["misspelled-property", "not-allowed-value", "missing-required", "literal-secret", "undefined-parameter",
        "unknown-relationship", "unconnected-relationship", "unknown-type", "wrong-bundle-version",
        "service-of-wrong-api"])
def test_each_mistake_is_one_line_naming_the_place(manifest: RuntimeManifest, mutate, expected: list[str]) -> None:
    assert issues(manifest, mutate) == expected


def test_required_properties_with_unmet_dependencies_are_not_required(manifest: RuntimeManifest) -> None:
    spec = manifest.find(READER)
    dependent = [p for p in spec.properties.values() if p.dependencies]
    assert dependent, "the real JsonTreeReader has properties that depend on the access strategy"
    assert issues(manifest, set_in("reader", "schema-access-strategy", "infer-schema")) == []


def test_a_bundle_missing_from_the_manifest_is_unchecked_or_strict_error(manifest: RuntimeManifest) -> None:
    flow = build()
    flow.add(c.kafka_connection(bootstrap_servers="#{db.url}"))
    report = validate("Check", compile_flow(flow), manifest)
    assert report.issues == []
    assert report.unchecked == {"org.apache.nifi:nifi-kafka-3-service-nar": ["Check/Kafka"]}
    strict = validate("Check", compile_flow(flow), manifest, strict=True)
    assert [str(i) for i in strict.issues] == [
        "flow `Check` at `Check/Kafka`: bundle `org.apache.nifi:nifi-kafka-3-service-nar` is not in the runtime "
        f"manifest ({manifest.source}), so `org.apache.nifi.kafka.service.Kafka3ConnectionService` cannot be checked"]
