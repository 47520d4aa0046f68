"""The NiFi Python processors, run through the real `nifiapi` package against the real ClickHouse engine.

NiFi itself cannot run on this machine (its server artifacts are missing from the Maven mirror
here), so the processors are driven the way NiFi's Python bridge drives them, without the JVM:
`nifiapi` comes from its Maven Central artifact (`org.apache.nifi:nifi-python-extension-api`,
cached under `~/.cache/spotlight-nifi/python-api/<version>/`); its real `ProcessContext` is built
over a stand-in for the Java context, and a stand-in FlowFile offers what the API reads
(`getContentsAsBytes`, `getAttribute`). The py4j JVM handle is a stand-in too: the API only
touches it to build Java objects (validators, arrays) that never reach Java here. Inserts go to
chdb, the ClickHouse engine in-process. The NAR test builds the real NAR (pip needs the index).
"""

from __future__ import annotations

import ast
import importlib
import sys
import urllib.request
import zipfile
from importlib.metadata import version
from pathlib import Path
from types import ModuleType
from typing import Any

import orjson
import pytest

from spotlight_nifi.clickhouse.embedded import Embedded
from spotlight_nifi.errors import ServiceError
from spotlight_nifi.ingest import envelope, nar
from spotlight_nifi.processor_specs import ALL, ANNOTATE, CAST, INSERT, PROCESSORS_VERSION, PythonProcessorSpec
from spotlight_nifi.flow.manifest_sources import MAVEN_CENTRAL
from tests.availability import unavailable

API_VERSION = "2.3.0"
PACKAGE_DIR = nar.project_root() / "processors" / nar.PACKAGE
MODULES = {CAST.type: "cast_to_clickhouse", INSERT.type: "insert_clickhouse", ANNOTATE.type: "annotate_failure"}


class JvmStandIn:
    """Any attribute or call of the py4j JVM view: a named stand-in (arrays are empty lists)."""

    def __init__(self, name: str = "jvm") -> None:
        self.name = name

    def __getattr__(self, attribute: str) -> JvmStandIn:
        return JvmStandIn(f"{self.name}.{attribute}")

    def __call__(self, *args: Any) -> JvmStandIn:
        return self

    def new_array(self, kind: Any, size: int) -> list[Any]:
        return [None] * size


def python_api() -> Path:
    """nifiapi from its Maven artifact, unpacked once into the user cache."""
    home = Path.home() / ".cache" / "spotlight-nifi" / "python-api" / API_VERSION
    if not (home / "nifiapi" / "__init__.py").is_file():
        name = f"nifi-python-extension-api-{API_VERSION}.jar"
        url = f"{MAVEN_CENTRAL}/org/apache/nifi/nifi-python-extension-api/{API_VERSION}/{name}"
        home.mkdir(parents=True, exist_ok=True)
        try:
            urllib.request.urlretrieve(url, home / name)
        except OSError as error:
            unavailable(f"cannot download `{url}`: {error}")
        with zipfile.ZipFile(home / name) as jar:
            jar.extractall(home, [n for n in jar.namelist() if n.startswith("nifiapi/")])
    return home


def processor_modules() -> dict[str, ModuleType]:
    """The three processor modules, imported over the real nifiapi."""
    for path in (python_api(), PACKAGE_DIR.parent):
        if str(path) not in sys.path:
            sys.path.insert(0, str(path))
    from nifiapi.__jvm__ import JvmHolder

    JvmHolder.jvm = JvmStandIn()
    JvmHolder.gateway = JvmStandIn("gateway")
    return {kind: importlib.import_module(f"{nar.PACKAGE}.{module}") for kind, module in MODULES.items()}


@pytest.fixture(scope="module")
def processors() -> dict[str, ModuleType]:
    return processor_modules()


class JavaValue:
    """A Java enum constant or AllowableValue: `name()` and `getValue()`."""

    def __init__(self, value: str) -> None:
        self.value = value

    def name(self) -> str:
        return self.value

    def getValue(self) -> str:
        return self.value


class JavaDescriptor:
    """What nifiapi's ProcessContext reads of a Java PropertyDescriptor, from the Python one."""

    def __init__(self, python: Any) -> None:
        self.python = python

    def getName(self) -> str:
        return self.python.name

    def getDescription(self) -> str:
        return self.python.description

    def getDisplayName(self) -> str:
        return self.python.name

    def isRequired(self) -> bool:
        return self.python.required

    def isSensitive(self) -> bool:
        return self.python.sensitive

    def getDefaultValue(self) -> str | None:
        return self.python.defaultValue

    def isDynamic(self) -> bool:
        return False

    def getValidators(self) -> list[Any]:
        return self.python.validators

    def getControllerServiceDefinition(self) -> None:
        return None

    def getDependencies(self) -> None:
        return None

    def getResourceDefinition(self) -> None:
        return None

    def getAllowableValues(self) -> list[Any]:
        return [JavaValue(value) for value in self.python.allowableValues or ()]

    def isExpressionLanguageSupported(self) -> bool:
        return self.python.expressionLanguageScope.name != "NONE"

    def getExpressionLanguageScope(self) -> JavaValue:
        return JavaValue(self.python.expressionLanguageScope.name)


class JavaPropertyValue:
    def __init__(self, value: str | None) -> None:
        self.value = value

    def getValue(self) -> str | None:
        return self.value

    def isExpressionLanguagePresent(self) -> bool:
        return self.value is not None and "${" in self.value


class JavaMap(dict):
    """A java.util.Map as py4j shows it."""

    def keySet(self) -> list[Any]:
        return list(self)


class JavaContext:
    """What nifiapi's ProcessContext reads of Java's ProcessContext: the processor's configuration."""

    def __init__(self, descriptors: list[Any], values: dict[str, str]) -> None:
        self.descriptors = JavaMap({JavaDescriptor(d): None for d in descriptors})
        self.values = {d.name: values.get(d.name, d.defaultValue) for d in descriptors}

    def getName(self) -> str:
        return "under test"

    def getProperties(self) -> JavaMap:
        return self.descriptors

    def getProperty(self, name: str) -> JavaPropertyValue:
        return JavaPropertyValue(self.values[name])


class FlowFile:
    """What nifiapi's InputFlowFile offers: content and attributes."""

    def __init__(self, content: bytes, attributes: dict[str, str] | None = None) -> None:
        self.content = content
        self.attributes = attributes or {}

    def getContentsAsBytes(self) -> bytes:
        return self.content

    def getAttribute(self, name: str) -> str | None:
        return self.attributes.get(name)


def configured(module: ModuleType, spec: PythonProcessorSpec, values: dict[str, str]) -> Any:
    processor = getattr(module, spec.type)()
    processor.setContext(JavaContext(processor.getPropertyDescriptors(), values))
    return processor


def run(processor: Any, flowfile: FlowFile) -> tuple[str, FlowFile]:
    """One onTrigger as NiFi's FlowFileTransformProxy does it: `failure` keeps the original content."""
    result = processor.transformFlowFile(flowfile)
    attributes = {**flowfile.attributes, **(result.attributes or {})}
    if result.getRelationship() == "failure" or result.getContents() is None:
        return result.getRelationship(), FlowFile(flowfile.content, attributes)
    return result.getRelationship(), FlowFile(result.getContents(), attributes)


def wrapper(value: Any, offset: int) -> bytes:
    return orjson.dumps({"key": None, "value": value, "headers": {},
                         "metadata": {"topic": "orders", "partition": 0, "offset": offset, "timestamp": 1700000000000}})


def records(count: int) -> list[Any]:
    """Good orders, with every tenth one not fitting the table inferred from the first ones."""
    return [{"id": n, "customer": {"name": f"c{n % 7}", "vip": n % 2 == 0}, "amount": n * 1.5,
             "at": "2024-05-01T10:00:00Z"} if n % 10 else {"id": f"bad-{n}"} for n in range(1, count + 1)]


@pytest.mark.parametrize("spec", ALL, ids=[s.type for s in ALL])
def test_descriptors_are_the_specs(processors: dict[str, ModuleType], spec: PythonProcessorSpec) -> None:
    processor = getattr(processors[spec.type], spec.type)()
    described = [(d.name, d.description, d.required, d.sensitive, d.defaultValue, tuple(d.allowableValues or ()))
                 for d in processor.getPropertyDescriptors()]
    assert described == [(p.name, p.description, p.required, p.sensitive, p.default, p.allowable)
                         for p in spec.properties]
    positive = [d.name for d in processor.getPropertyDescriptors()
                if [v.name for v in d.validators] == ["jvm.org.apache.nifi.processor.util.StandardValidators."
                                                      "POSITIVE_INTEGER_VALIDATOR"]]
    assert positive == [p.name for p in spec.properties if p.positive_integer]


@pytest.mark.parametrize("spec", ALL, ids=[s.type for s in ALL])
def test_processor_details_as_nifi_reads_them_match_the_specs(spec: PythonProcessorSpec) -> None:
    """NiFi reads ProcessorDetails from the source text, so only literals count."""
    tree = ast.parse((PACKAGE_DIR / f"{MODULES[spec.type]}.py").read_text())
    [cls] = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == spec.type]
    [details] = [n for n in cls.body if isinstance(n, ast.ClassDef) and n.name == "ProcessorDetails"]
    java = [n for n in cls.body if isinstance(n, ast.ClassDef) and n.name == "Java"]
    values = {n.targets[0].id: ast.literal_eval(n.value) for n in details.body if isinstance(n, ast.Assign)}
    assert ast.literal_eval(java[0].body[0].value) == ["org.apache.nifi.python.processor.FlowFileTransform"]
    assert values["version"] == PROCESSORS_VERSION == spec.version
    assert values["description"] == spec.description
    assert values["dependencies"] == nar.declared_dependencies(PACKAGE_DIR)
    assert f"spotlight-nifi=={version('spotlight-nifi')}" in values["dependencies"]


def test_kafka_batch_lands_in_clickhouse_or_the_failure_db_exactly_once(
        processors: dict[str, ModuleType], clickhouse: tuple[str, Embedded]) -> None:
    url, db = clickhouse
    batch = records(200)
    content = b"\n".join(wrapper(r, n) for n, r in enumerate(batch)) + b"\n" + b'{"not": json'
    settings = {"ClickHouse URL": url, "Table": "${target.table}"}
    cast = configured(processors[CAST.type], CAST, {**settings, "Schema Mode": "create", "Sample Size": "5"})
    insert = configured(processors[INSERT.type], INSERT, {**settings, "Batch Size": "50"})
    annotate = configured(processors[ANNOTATE.type], ANNOTATE, {"Flow Name": "orders"})

    relationship, cast_out = run(cast, FlowFile(content, {"target.table": "orders", "uuid": "3f0b6c1e-flowfile"}))
    assert relationship == "success"
    assert (cast_out.attributes[envelope.READ], cast_out.attributes[envelope.GOOD],
            cast_out.attributes[envelope.FAILED]) == ("201", "180", "21")

    assert run(insert, cast_out)[0] == "success"
    assert run(insert, cast_out)[0] == "success", "NiFi may run a FlowFile again: the same uuid inserts nothing twice"
    relationship, failures = run(annotate, cast_out)
    assert relationship == "success"
    rows = [orjson.loads(line) for line in failures.content.splitlines()]

    assert db.query("SELECT count(), countDistinct(id), sum(amount) FROM orders") == [
        (180, 180, sum(r["amount"] for r in batch if "amount" in r))]
    assert len(rows) == 21 and failures.attributes["record.count"] == "21"
    assert sorted(r["offset"] for r in rows if r["offset"] is not None) == [n for n in range(200) if (n + 1) % 10 == 0]
    assert [r["reason"] for r in rows if r["offset"] is None] == ["invalid JSON (unexpected character, expected a JSON value at column 9)"]
    assert {r["flow"] for r in rows} == {"orders"} and {r["processor"] for r in rows} == {"CastToClickHouse"}
    cast.onStopped(None)
    insert.onStopped(None)


def test_insert_failure_reaches_the_failure_db_with_every_record_that_fit(
        processors: dict[str, ModuleType], clickhouse: tuple[str, Embedded]) -> None:
    url, _ = clickhouse
    cast = configured(processors[CAST.type], CAST, {"ClickHouse URL": url, "Table": "gone", "Schema Mode": "create"})
    insert = configured(processors[INSERT.type], INSERT, {"ClickHouse URL": url, "Table": "missing"})
    annotate = configured(processors[ANNOTATE.type], ANNOTATE, {"Flow Name": "f"})
    _, cast_out = run(cast, FlowFile(b"\n".join(wrapper({"x": n}, n) for n in range(3))))

    relationship, insert_out = run(insert, cast_out)
    assert relationship == "failure"
    assert insert_out.attributes[envelope.FAILURE_REASON] == "table `missing` column `*`: table does not exist"
    rows = [orjson.loads(line) for line in run(annotate, insert_out)[1].content.splitlines()]
    assert [(r["offset"], r["processor"], r["payload_text"]) for r in rows] == [
        (0, "InsertClickHouse", '{"x":0}'), (1, "InsertClickHouse", '{"x":1}'), (2, "InsertClickHouse", '{"x":2}')]
    cast.onStopped(None)
    insert.onStopped(None)


def test_missing_table_in_reject_mode_fails_the_flowfile_and_annotate_keeps_every_record(
        processors: dict[str, ModuleType], clickhouse: tuple[str, Embedded]) -> None:
    url, _ = clickhouse
    cast = configured(processors[CAST.type], CAST, {"ClickHouse URL": url, "Table": "absent"})
    annotate = configured(processors[ANNOTATE.type], ANNOTATE, {"Flow Name": "f"})
    content = wrapper({"a": 1}, 7) + b"\n" + wrapper({"a": 2}, 8)
    relationship, out = run(cast, FlowFile(content))
    assert relationship == "failure" and out.content == content
    assert out.attributes[envelope.FAILURE_REASON] == "table `absent` does not exist and Schema Mode is `reject`"
    rows = [orjson.loads(line) for line in run(annotate, out)[1].content.splitlines()]
    assert [(r["offset"], r["processor"]) for r in rows] == [(7, "CastToClickHouse"), (8, "CastToClickHouse")]
    cast.onStopped(None)


def test_evolve_mode_adds_new_fields_but_never_changes_a_columns_kind(
        processors: dict[str, ModuleType], clickhouse: tuple[str, Embedded]) -> None:
    """Evolution inside NiFi is as cautious as `load --evolve`: a stray value does not turn IPv4 into text."""
    url, db = clickhouse
    create = configured(processors[CAST.type], CAST, {"ClickHouse URL": url, "Table": "hosts", "Schema Mode": "create"})
    run(create, FlowFile(wrapper({"id": 1, "ip": "10.0.0.1"}, 0)))
    evolve = configured(processors[CAST.type], CAST, {"ClickHouse URL": url, "Table": "hosts", "Schema Mode": "evolve"})
    content = wrapper({"id": 2, "ip": "10.0.0.2", "port": 443}, 1) + b"\n" + wrapper({"id": 3, "ip": "nope"}, 2)
    relationship, out = run(evolve, FlowFile(content))
    assert relationship == "success"
    assert (out.attributes[envelope.GOOD], out.attributes[envelope.FAILED]) == ("1", "1")
    types = {name: typ for name, typ, _ in db.columns("hosts") or []}
    assert types["ip"] == "IPv4" and types["port"] == "Nullable(UInt16)"
    create.onStopped(None)
    evolve.onStopped(None)


def test_consume_kafka_parse_failure_becomes_one_row(processors: dict[str, ModuleType]) -> None:
    annotate = configured(processors[ANNOTATE.type], ANNOTATE, {"Flow Name": "f"})
    relationship, out = run(annotate, FlowFile(b"\xff{oops", {"kafka.topic": "orders", "kafka.partition": "1",
                                                               "kafka.offset": "42"}))
    [row] = [orjson.loads(line) for line in out.content.splitlines()]
    assert relationship == "success"
    assert (row["topic"], row["partition"], row["offset"], row["payload"], row["payload_text"]) == (
        "orders", 1, 42, "/3tvb3Bz", None)


def test_bad_property_value_routes_to_failure_with_the_reason(processors: dict[str, ModuleType],
                                                              clickhouse: tuple[str, Embedded]) -> None:
    insert = configured(processors[INSERT.type], INSERT, {"ClickHouse URL": clickhouse[0], "Table": "t",
                                                          "Batch Size": "0"})
    relationship, out = run(insert, FlowFile(b""))
    assert relationship == "failure"
    assert out.attributes[envelope.FAILURE_REASON] == "ConfigError: property `Batch Size` must be a positive integer, not `0`"


def test_nar_holds_the_package_its_dependencies_and_the_manifest(tmp_path: Path) -> None:
    try:
        built = nar.build_nar(tmp_path / "nar")
    except ServiceError as error:
        unavailable(f"cannot bundle the dependencies: {error}")
    with zipfile.ZipFile(built) as archive:
        names = set(archive.namelist())
        manifest = archive.read("META-INF/MANIFEST.MF").decode()
    assert {f"{nar.PACKAGE}/{m}.py" for m in (*MODULES.values(), "__init__")} <= names
    assert {f"{nar.BUNDLED}/spotlight_nifi/ingest/steps.py", f"{nar.BUNDLED}/orjson/__init__.py",
            f"{nar.BUNDLED}/msgspec/__init__.py", f"{nar.BUNDLED}/clickhouse_connect/__init__.py",
            f"{nar.BUNDLED}/genson/__init__.py"} <= names
    assert not any(n.startswith(f"{nar.BUNDLED}/chdb/") for n in names)
    assert f"Nar-Id: {nar.NAR_ID}\n" in manifest and f"Nar-Version: {PROCESSORS_VERSION}\n" in manifest
    home = tmp_path / "nifi"
    home.mkdir()
    assert nar.install(home, nar=built) == home / "extensions" / built.name
    assert (nar.install(home) / "cast_to_clickhouse.py").is_file()
