"""The runtime manifest, checked against real NiFi 2.3.0 NARs from Maven Central (no hand-written data)."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from spotlight_nifi.errors import ManifestError
from spotlight_nifi.flow.manifest import (
    PYTHON_RELATIONSHIPS,
    Bundle,
    PropertyDependency,
    PropertySpec,
    RuntimeManifest,
    closest,
    load_manifest,
    manifest_from_json,
    python_processor_spec,
)
from spotlight_nifi.flow.manifest_sources import FLOW_NARS, nar_coordinates
from spotlight_nifi.versions import NIFI_VERSION

JSON_TREE_READER = "org.apache.nifi.json.JsonTreeReader"
JSON_WRITER = "org.apache.nifi.json.JsonRecordSetWriter"
DBCP_POOL = "org.apache.nifi.dbcp.DBCPConnectionPool"
PUT_SPLUNK = "org.apache.nifi.processors.splunk.PutSplunk"
RECORD_READER_API = "org.apache.nifi.serialization.RecordReaderFactory"
SERVICES_API = Bundle("org.apache.nifi", "nifi-standard-services-api-nar", "2.3.0")
SMALL_NAR = "org.apache.nifi:nifi-standard-services-api-nar:2.3.0"
ABSENT_NAR = "org.apache.nifi:nifi-kafka-nar:2.3.0"


def test_manifest_describes_the_bundles_it_was_built_from(real_manifest: RuntimeManifest) -> None:
    assert real_manifest.nifi_version == "2.3.0"
    assert real_manifest.source == "NARs org.apache.nifi:...@2.3.0 (4 bundles)"
    assert real_manifest.missing_bundles == ()
    assert real_manifest.has_bundle("org.apache.nifi", "nifi-dbcp-service-nar")
    assert not real_manifest.has_bundle("org.apache.nifi", "nifi-kafka-nar")
    assert JSON_TREE_READER in real_manifest.types("controller_service")
    assert JSON_TREE_READER not in real_manifest.types("processor")
    assert PUT_SPLUNK in real_manifest.types("processor")


def test_json_tree_reader_schema_access_strategy_uses_the_2_3_key(real_manifest: RuntimeManifest) -> None:
    reader = real_manifest.find(JSON_TREE_READER)
    assert reader is not None and reader.kind == "controller_service"
    assert reader.bundle == Bundle("org.apache.nifi", "nifi-record-serialization-services-nar", "2.3.0")
    assert reader.property("Schema Access Strategy") is None
    strategy = reader.property("schema-access-strategy")
    assert strategy is not None
    assert strategy.display_name == "Schema Access Strategy"
    assert strategy.required and strategy.default_value == "infer-schema"
    assert {"infer-schema", "schema-text-property", "schema-name"} <= set(strategy.allowable_values)
    assert "Infer Schema" not in strategy.allowable_values


def test_dependencies_name_the_property_and_its_values(real_manifest: RuntimeManifest) -> None:
    reader = real_manifest.find(JSON_TREE_READER)
    assert reader is not None
    schema_text = reader.property("schema-text")
    assert schema_text is not None
    assert PropertyDependency("schema-access-strategy", ("schema-text-property",)) in schema_text.dependencies
    assert schema_text.expression_language_scope == "FLOWFILE_ATTRIBUTES"


def test_dbcp_pool_required_sensitive_and_service_properties(real_manifest: RuntimeManifest) -> None:
    pool = real_manifest.find(DBCP_POOL)
    assert pool is not None
    required = {p.name for p in pool.properties.values() if p.required}
    assert {"Database Connection URL", "Database Driver Class Name"} <= required
    assert "Database User" not in required
    password = pool.property("Password")
    assert password is not None and password.sensitive
    kerberos = pool.property("kerberos-user-service")
    assert kerberos is not None and kerberos.controller_service_api == "org.apache.nifi.kerberos.KerberosUserService"
    assert pool.supports_dynamic_properties
    assert list(pool.properties)[0] == "Database Connection URL"


def test_services_report_the_apis_they_implement(real_manifest: RuntimeManifest) -> None:
    reader = real_manifest.find(JSON_TREE_READER)
    assert reader is not None
    assert (RECORD_READER_API, SERVICES_API) in reader.provided_apis
    writer = real_manifest.find(JSON_WRITER)
    assert writer is not None
    writer_apis = {api for api, _ in writer.provided_apis}
    assert "org.apache.nifi.serialization.RecordSetWriterFactory" in writer_apis
    assert RECORD_READER_API not in writer_apis


def test_processors_carry_relationships(real_manifest: RuntimeManifest) -> None:
    put = real_manifest.find(PUT_SPLUNK)
    assert put is not None and put.kind == "processor"
    assert set(put.relationships) == {"success", "failure"}
    assert not put.supports_dynamic_relationships


def test_find_prefers_the_exact_bundle(real_manifest: RuntimeManifest) -> None:
    reader = real_manifest.find(JSON_TREE_READER)
    assert reader is not None
    assert real_manifest.find(JSON_TREE_READER, reader.bundle) == reader
    assert real_manifest.find(JSON_TREE_READER, Bundle(reader.bundle.group, reader.bundle.artifact, "2.12.0")) is None
    assert real_manifest.candidates(JSON_TREE_READER) == [reader]
    assert real_manifest.find("org.apache.nifi.json.NoSuchReader") is None


def test_closest_suggests_the_intended_name(real_manifest: RuntimeManifest) -> None:
    reader = real_manifest.find(JSON_TREE_READER)
    assert reader is not None
    assert closest("schema-acess-strategy", reader.properties) == "schema-access-strategy"
    assert closest("SCHEMA-ACCESS-STRATEGY", reader.properties) == "schema-access-strategy"
    assert closest("org.apache.nifi.json.JsonTreeReadr", real_manifest.types("controller_service")) == JSON_TREE_READER
    assert closest("Record Writer", reader.properties) is None


def test_round_trip_through_json(real_manifest: RuntimeManifest, tmp_path: Path) -> None:
    again = manifest_from_json(orjson.loads(real_manifest.to_json()), "again")
    assert again.components == real_manifest.components
    assert again.bundles == real_manifest.bundles
    wrapped = manifest_from_json({"runtimeManifest": orjson.loads(real_manifest.to_json())}, "REST entity")
    assert wrapped.components == real_manifest.components
    path = tmp_path / "manifest.json"
    path.write_text(real_manifest.to_json())
    from_file = load_manifest(path)
    assert from_file.source == f"file {path}"
    assert from_file.components == real_manifest.components


def test_converted_component_has_nifi_field_names(real_manifest: RuntimeManifest) -> None:
    document = orjson.loads(real_manifest.to_json())
    assert {"identifier", "agentType", "version", "bundles"} <= set(document)
    bundle = next(b for b in document["bundles"] if b["artifact"] == "nifi-record-serialization-services-nar")
    reader = next(c for c in bundle["componentManifest"]["controllerServices"] if c["type"] == JSON_TREE_READER)
    descriptor = reader["propertyDescriptors"]["schema-registry"]
    assert descriptor["typeProvidedByValue"]["type"] == "org.apache.nifi.schemaregistry.services.SchemaRegistry"
    assert descriptor["dependencies"][0]["propertyName"] == "schema-access-strategy"
    assert reader["providedApiImplementations"][0]["type"] == RECORD_READER_API


def test_python_processors_join_the_manifest(real_manifest: RuntimeManifest) -> None:
    table = PropertySpec("Table", "Table", "Target table.", True, False, None, (), None, (), "NONE")
    spec = python_processor_spec("CastRecords", "0.1.0", [table])
    manifest = real_manifest.with_components([spec])
    found = manifest.find("CastRecords")
    assert found == spec
    assert found.bundle == Bundle("org.apache.nifi", "python-extensions", "0.1.0")
    assert set(found.relationships) == set(PYTHON_RELATIONSHIPS) == {"success", "failure", "original"}
    assert manifest.has_bundle("org.apache.nifi", "python-extensions")
    assert real_manifest.find("CastRecords") is None
    assert manifest_from_json(orjson.loads(manifest.to_json()), "again").find("CastRecords") == spec


def test_find_without_bundle_takes_the_newest_version(real_manifest: RuntimeManifest) -> None:
    older, newer = (python_processor_spec("CastRecords", v, []) for v in ("0.9.0", "0.10.0"))
    manifest = real_manifest.with_components([newer, older])
    assert manifest.find("CastRecords") == newer
    assert manifest.find("CastRecords", older.bundle) == older
    assert len(manifest.candidates("CastRecords")) == 2


def test_unreachable_nifi_is_a_manifest_error(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="did not return its runtime manifest"):
        load_manifest(nifi_url="http://127.0.0.1:9", cache_dir=tmp_path)


def test_missing_nar_is_an_error_naming_it_and_the_status(tmp_path: Path) -> None:
    with pytest.raises(ManifestError) as raised:
        load_manifest(nars=[SMALL_NAR, ABSENT_NAR], cache_dir=tmp_path)
    assert f"`{ABSENT_NAR}` (HTTP 404)" in str(raised.value)
    assert SMALL_NAR not in str(raised.value)


def test_missing_nars_can_be_allowed_and_are_listed(tmp_path: Path) -> None:
    manifest = load_manifest(nars=[SMALL_NAR, ABSENT_NAR], cache_dir=tmp_path, allow_missing=True)
    assert manifest.missing_bundles == (ABSENT_NAR,)
    assert manifest.bundles == (SERVICES_API,)
    with pytest.raises(ManifestError, match="nifi-kafka-nar:2.3.0"):
        load_manifest(nars=[SMALL_NAR, ABSENT_NAR], cache_dir=tmp_path)


def test_missing_published_manifest_without_nars_says_so(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match=r"nifi-runtime-manifest:2\.3\.0` could not be downloaded \(HTTP 404\)"):
        load_manifest(maven_version="2.3.0", cache_dir=tmp_path)


def test_second_load_comes_from_the_cache(tmp_path: Path) -> None:
    first = load_manifest(nars=[SMALL_NAR], cache_dir=tmp_path)
    nar = tmp_path / "nars" / "org.apache.nifi" / "nifi-standard-services-api-nar-2.3.0.nar"
    (cached,) = (tmp_path / "manifests").glob("nars-*.json")
    stamps = {path: path.stat().st_mtime_ns for path in tmp_path.rglob("*") if path.is_file() and path != nar}
    nar.unlink()
    second = load_manifest(nars=[SMALL_NAR], cache_dir=tmp_path)
    assert second == first
    assert not nar.exists(), "the NAR was downloaded again"
    assert {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*") if p.is_file()} == stamps
    assert cached in stamps


def test_bad_inputs_are_manifest_errors(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="not `group:artifact:version`"):
        load_manifest(nars=["nifi-standard-nar"], cache_dir=tmp_path)
    with pytest.raises(ManifestError, match="no `bundles` list"):
        manifest_from_json({"processors": []}, "file x.json")
    with pytest.raises(ManifestError, match="cannot be read"):
        load_manifest(tmp_path / "absent.json")
    with pytest.raises(ManifestError, match="no runtime manifest source"):
        load_manifest(cache_dir=tmp_path)


def test_flow_nars_follow_the_pinned_version() -> None:
    assert FLOW_NARS == nar_coordinates(NIFI_VERSION)
    assert f"org.apache.nifi:nifi-kafka-3-service-nar:{NIFI_VERSION}" in FLOW_NARS
    assert len(set(FLOW_NARS)) == 8
