"""The NiFi runtime manifest: loaded once, cached, and indexed for flow validation.

The runtime manifest is what NiFi itself knows about every component it can run: per bundle
(`bundles[].group/artifact/version`), `componentManifest.{processors, controllerServices,
reportingTasks, parameterProviders, flowAnalysisRules, flowRegistryClients}[]`, each with
`type`, `propertyDescriptors` (name → displayName, required, sensitive, defaultValue,
allowableValues[].value, typeProvidedByValue, dependencies, expressionLanguageScope, dynamic),
`supportedRelationships`, dynamic property/relationship support and, for controller services,
`providedApiImplementations`. Every source below is read into that one JSON shape.

Sources, in the order a user expects (the first one given wins):
1. a file: `--manifest PATH` or `NIFI_RUNTIME_MANIFEST` (NiFi's JSON, bare or as the REST entity);
2. a running NiFi: `NIFI_URL`, `GET /nifi-api/flow/runtime-manifest` through nipyapi; never
   cached, since a live NiFi is the truth and changes when Python processors are added;
3. the Maven artifact `org.apache.nifi:nifi-runtime-manifest:<version>` (a jar holding
   `nifi-runtime-manifest.json`);
4. NARs (`group:artifact:version`), each downloaded from Maven Central and converted from its
   `extension-manifest.xml` (see `manifest_nar`); used when the artifact above is missing.
   Missing NARs are an error naming each coordinate and HTTP status, or with `allow_missing`
   are listed in `RuntimeManifest.missing_bundles` so validation can say what it could not check.

Cache (`SPOTLIGHT_CACHE_DIR`, else `$XDG_CACHE_HOME/spotlight-nifi`, else `~/.cache/spotlight-nifi`):
`nars/<group>/<artifact>-<version>.nar` (downloads, kept) and `manifests/<key>.json` (each
produced manifest, keyed by source), so a second load touches no network.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import os
import re
import tempfile
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

import orjson

from spotlight_nifi.config import Settings
from spotlight_nifi.errors import ManifestError
from spotlight_nifi.flow.model import Bundle
from spotlight_nifi.flow.manifest_nar import artifact_url, download, parse_coordinate, read_nar
from spotlight_nifi.flow.manifest_sources import RUNTIME_MANIFEST_ARTIFACT, nar_coordinates
from spotlight_nifi.versions import NIFI_GROUP, NIFI_VERSION

ComponentKind = Literal[
    "processor", "controller_service", "reporting_task", "flow_analysis_rule", "parameter_provider",
    "flow_registry_client",
]

# componentManifest key → kind; `connectors` are left out: flows never place them.
KINDS: dict[str, ComponentKind] = {
    "processors": "processor",
    "controllerServices": "controller_service",
    "reportingTasks": "reporting_task",
    "flowAnalysisRules": "flow_analysis_rule",
    "parameterProviders": "parameter_provider",
    "flowRegistryClients": "flow_registry_client",
}

PYTHON_ARTIFACT = "python-extensions"
# StandardRuntimeManifestService reports these for every Python processor, whatever it declares.
PYTHON_RELATIONSHIPS = ("success", "failure", "original")
MANIFEST_IN_JAR = "nifi-runtime-manifest.json"
MISSING_KEY = "missingBundles"


@dataclass(frozen=True)
class PropertyDependency:
    property_name: str
    dependent_values: tuple[str, ...]  # empty: any value set


@dataclass(frozen=True)
class PropertySpec:
    name: str
    display_name: str
    description: str
    required: bool
    sensitive: bool
    default_value: str | None
    allowable_values: tuple[str, ...]
    controller_service_api: str | None
    dependencies: tuple[PropertyDependency, ...]
    expression_language_scope: str | None
    dynamic: bool = False


@dataclass(frozen=True)
class ComponentSpec:
    type: str
    kind: ComponentKind
    bundle: Bundle
    properties: Mapping[str, PropertySpec]
    supports_dynamic_properties: bool
    supports_dynamic_relationships: bool
    relationships: tuple[str, ...]
    provided_apis: tuple[tuple[str, Bundle], ...]

    def property(self, name: str) -> PropertySpec | None:
        """The descriptor whose `name` (the key flows use, not the display name) is `name`."""
        return self.properties.get(name)


@dataclass(frozen=True)
class RuntimeManifest:
    identifier: str
    nifi_version: str
    source: str
    bundles: tuple[Bundle, ...]
    missing_bundles: tuple[str, ...]
    components: tuple[ComponentSpec, ...]
    document: Mapping[str, Any] = field(repr=False, compare=False)
    _by_type: Mapping[str, tuple[ComponentSpec, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_type: dict[str, list[ComponentSpec]] = {}
        for spec in self.components:
            by_type.setdefault(spec.type, []).append(spec)
        object.__setattr__(self, "_by_type", MappingProxyType({k: tuple(v) for k, v in by_type.items()}))

    def find(self, type: str, bundle: Bundle | None = None) -> ComponentSpec | None:
        """The component `type` in `bundle`; without a bundle the only one, else the newest version."""
        found = self._by_type.get(type, ())
        if bundle is not None:
            return next((spec for spec in found if spec.bundle == bundle), None)
        return max(found, key=lambda spec: _version_key(spec.bundle.version), default=None)

    def candidates(self, type: str) -> list[ComponentSpec]:
        """Every bundle's component of this type, to say where a type lives when the flow names another bundle."""
        return list(self._by_type.get(type, ()))

    def has_bundle(self, group: str, artifact: str) -> bool:
        return any(b.group == group and b.artifact == artifact for b in self.bundles)

    def types(self, kind: str | None = None) -> list[str]:
        return sorted({spec.type for spec in self.components if kind is None or spec.kind == kind})

    def with_components(self, specs: Iterable[ComponentSpec]) -> RuntimeManifest:
        """A new manifest that also holds `specs`, replacing any entry of the same type in the same bundle
        (our Python processors: before NiFi has loaded them it has no entry, after it one without properties)."""
        document = copy.deepcopy(dict(self.document))
        bundles: list[dict[str, Any]] = document.setdefault("bundles", [])
        added = 0
        for spec in specs:
            entry = next((b for b in bundles if Bundle(b.get("group", ""), b.get("artifact", ""),
                                                       b.get("version", "")) == spec.bundle), None)
            if entry is None:
                entry = {"group": spec.bundle.group, "artifact": spec.bundle.artifact, "version": spec.bundle.version}
                bundles.append(entry)
            lists = entry.setdefault("componentManifest", {})
            key = next(k for k, kind in KINDS.items() if kind == spec.kind)
            lists[key] = [c for c in lists.get(key) or [] if c.get("type") != spec.type] + [_component_json(spec)]
            added += 1
        if not added:
            return self
        return manifest_from_json(document, f"{self.source} + {added} added component(s)")

    def to_json(self) -> str:
        """NiFi's runtime-manifest JSON (plus `missingBundles` when some could not be had)."""
        return orjson.dumps(self.document, option=orjson.OPT_INDENT_2).decode("utf-8")


def manifest_from_json(data: Mapping[str, Any], source: str) -> RuntimeManifest:
    """Index NiFi's runtime-manifest JSON; `data` may be the bare manifest or the REST entity around it."""
    document = data.get("runtimeManifest", data)
    if not isinstance(document, Mapping) or not isinstance(document.get("bundles"), list):
        raise ManifestError(f"{source} is not a NiFi runtime manifest: it has no `bundles` list")
    bundles: list[Bundle] = []
    components: list[ComponentSpec] = []
    for entry in document["bundles"]:
        bundle = _bundle(entry)
        bundles.append(bundle)
        lists = entry.get("componentManifest") or {}
        for key, kind in KINDS.items():
            components.extend(_component(item, kind, bundle) for item in lists.get(key) or [])
    build = document.get("buildInfo") or {}
    return RuntimeManifest(
        identifier=str(document.get("identifier") or ""),
        nifi_version=str(document.get("version") or build.get("version") or ""),
        source=source,
        bundles=tuple(bundles),
        missing_bundles=tuple(document.get(MISSING_KEY) or ()),
        components=tuple(components),
        document=document,
    )


def closest(name: str, choices: Iterable[str]) -> str | None:
    """The choice `name` was most likely meant to be (case-insensitive), for "did you mean"."""
    by_lower: dict[str, str] = {}
    for choice in choices:
        by_lower.setdefault(choice.lower(), choice)
    match = difflib.get_close_matches(name.lower(), list(by_lower), n=1, cutoff=0.6)
    return by_lower[match[0]] if match else None


def python_processor_spec(type: str, version: str, properties: list[PropertySpec]) -> ComponentSpec:
    """A Python processor as NiFi's manifest reports it: bundle python-extensions, fixed relationships."""
    return ComponentSpec(
        type=type,
        kind="processor",
        bundle=Bundle(NIFI_GROUP, PYTHON_ARTIFACT, version),
        properties=MappingProxyType({p.name: p for p in properties}),
        supports_dynamic_properties=False,
        supports_dynamic_relationships=False,
        relationships=PYTHON_RELATIONSHIPS,
        provided_apis=(),
    )


def default_cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Where downloads and produced manifests are kept, shared with the local stack's downloads."""
    env = os.environ if environ is None else environ
    default = Path(env.get("XDG_CACHE_HOME") or "~/.cache") / "spotlight-nifi"
    return Path(env.get("SPOTLIGHT_CACHE_DIR") or default).expanduser().absolute()


def manifest_from_settings(
    settings: Settings, path: Path | None = None, *, environment: str | None = None, allow_missing: bool = False,
    nifi_version: str = NIFI_VERSION,
) -> RuntimeManifest:
    """The manifest a command validates against: `path`, else `NIFI_RUNTIME_MANIFEST`, else `NIFI_URL`,
    else `nifi_version`'s published artifacts (the runtime manifest, else the NARs our flows use)."""
    file = path or settings.get("NIFI_RUNTIME_MANIFEST", environment=environment)
    if not file and settings.get("NIFI_URL", environment=environment):
        from spotlight_nifi.client_certificate import client_certificate, use

        use(client_certificate(settings, environment))
    return load_manifest(
        Path(file) if file else None,
        nifi_url=settings.get("NIFI_URL", environment=environment),
        maven_version=nifi_version,
        nars=nar_coordinates(nifi_version),
        allow_missing=allow_missing,
        cache_dir=default_cache_dir(settings.with_prefix("")),
    )


def load_manifest(
    path: Path | None = None,
    *,
    nifi_url: str | None = None,
    maven_version: str | None = None,
    nars: Sequence[str] = (),
    allow_missing: bool = False,
    cache_dir: Path | None = None,
    refresh: bool = False,
) -> RuntimeManifest:
    """The runtime manifest from the first source given (see the module docstring).

    `maven_version` and `nars` together: the published artifact if it exists, else the NARs.
    `refresh` ignores a cached manifest (downloaded NARs are still reused: releases never change).
    """
    if path is not None:
        return _from_file(Path(path))
    cache = cache_dir if cache_dir is not None else default_cache_dir()
    if nifi_url:
        return _from_nifi(nifi_url, cache)
    if maven_version:
        seen = _nifi_cache(cache, maven_version)
        if seen.is_file() and not refresh:
            return manifest_from_json(_read_cached(seen), f"NiFi {maven_version}'s own manifest, cached from a running NiFi")
        manifest, status = _from_maven(maven_version, cache, refresh)
        if manifest is not None:
            return manifest
        if not nars:
            raise ManifestError(
                f"`{NIFI_GROUP}:{RUNTIME_MANIFEST_ARTIFACT}:{maven_version}` could not be downloaded ({status}); "
                "assemble the manifest from NARs instead (`scripts/fetch-manifest`), or pass `--manifest PATH`"
            )
    if nars:
        return _from_nars(nars, cache, allow_missing, refresh)
    raise ManifestError(
        "no runtime manifest source: pass `--manifest PATH`, or set `NIFI_RUNTIME_MANIFEST` or `NIFI_URL`, "
        "or give a NiFi version or NAR coordinates"
    )


def _from_file(path: Path) -> RuntimeManifest:
    try:
        data = orjson.loads(path.read_bytes())
    except OSError as error:
        raise ManifestError(f"runtime manifest `{path}` cannot be read: {error.strerror}") from error
    except orjson.JSONDecodeError as error:
        raise ManifestError(f"runtime manifest `{path}` is not JSON: {error}") from error
    if not isinstance(data, Mapping):
        raise ManifestError(f"runtime manifest `{path}` is not a JSON object")
    return manifest_from_json(data, f"file {path}")


def _nifi_cache(cache: Path, version: str) -> Path:
    return cache / "manifests" / f"nifi-{version}.json"


def _from_nifi(url: str, cache: Path) -> RuntimeManifest:
    """`GET /nifi-api/flow/runtime-manifest`; TLS and token are whatever nipyapi's configuration holds.

    The answer is kept per NiFi version: it is the truth for that version, so later builds for it
    validate against it even while no NiFi runs."""
    import nipyapi  # here, not at the top: it costs a quarter second and only this source needs it

    api = url.rstrip("/") if url.rstrip("/").endswith("/nifi-api") else url.rstrip("/") + "/nifi-api"
    try:
        client = nipyapi.nifi.ApiClient(host=api)  # its own client: the shared one stays pointed where it was
        response = nipyapi.nifi.FlowApi(api_client=client).get_runtime_manifest(_preload_content=False)
        data = orjson.loads(response.data)
    except Exception as error:  # nipyapi raises urllib3, ApiException and socket errors alike
        raise ManifestError(f"NiFi at `{url}` did not return its runtime manifest: {error}") from error
    manifest = manifest_from_json(data, f"NiFi at {url}")
    version = manifest.document.get("version")
    if isinstance(version, str) and version:
        seen = _nifi_cache(cache, version)
        seen.parent.mkdir(parents=True, exist_ok=True)
        seen.write_text(manifest.to_json(), encoding="utf-8")
    return manifest


def _from_maven(version: str, cache: Path, refresh: bool) -> tuple[RuntimeManifest | None, str | None]:
    """The published manifest, or None and the HTTP status when the artifact cannot be had."""
    coordinate = f"{NIFI_GROUP}:{RUNTIME_MANIFEST_ARTIFACT}:{version}"
    source = f"Maven artifact {coordinate}"
    cached = cache / "manifests" / f"maven-{RUNTIME_MANIFEST_ARTIFACT}-{version}.json"
    if cached.is_file() and not refresh:
        return manifest_from_json(_read_cached(cached), source), None
    with tempfile.TemporaryDirectory() as tmp:
        jar = Path(tmp) / "manifest.jar"
        status = download(artifact_url(NIFI_GROUP, RUNTIME_MANIFEST_ARTIFACT, version, "jar"), jar)
        if status is not None:
            return None, status
        try:
            with zipfile.ZipFile(jar) as archive:
                data = orjson.loads(archive.read(MANIFEST_IN_JAR))
        except (zipfile.BadZipFile, KeyError, orjson.JSONDecodeError) as error:
            raise ManifestError(f"{source} holds no readable `{MANIFEST_IN_JAR}`: {error}") from error
    manifest = manifest_from_json(data, source)
    _write_cached(cached, manifest)
    return manifest, None


def _from_nars(coordinates: Sequence[str], cache: Path, allow_missing: bool, refresh: bool) -> RuntimeManifest:
    ordered = sorted({":".join(parse_coordinate(c)) for c in coordinates})
    key = hashlib.sha256("\n".join(ordered).encode()).hexdigest()[:16]
    cached = cache / "manifests" / f"nars-{key}.json"
    if cached.is_file() and not refresh:
        previous = _read_cached(cached)
        missing = previous.get(MISSING_KEY) or []
        if missing and not allow_missing:
            raise ManifestError(
                "NARs missing from Maven Central: " + ", ".join(f"`{c}`" for c in missing)
                + f" (as cached in `{cached}`; delete it to check again)"
            )
        return manifest_from_json(previous, _nars_source(ordered, len(previous["bundles"])))

    def fetch(coordinate: str) -> tuple[str, Path, str | None]:
        group, artifact, version = parse_coordinate(coordinate)
        nar = cache / "nars" / group / f"{artifact}-{version}.nar"
        status = None if nar.is_file() else download(artifact_url(group, artifact, version, "nar"), nar)
        return coordinate, nar, status

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(fetch, ordered))
    failed = [(coordinate, status) for coordinate, _, status in results if status is not None]
    if failed and not allow_missing:
        raise ManifestError(
            "NARs missing from Maven Central: " + ", ".join(f"`{c}` ({s})" for c, s in failed)
            + "; pass other coordinates, or allow missing bundles to validate only what is there"
        )
    bundles = [read_nar(nar) for _, nar, status in results if status is None]
    versions = sorted({c.split(":")[2] for c in ordered}, key=_version_key)
    document: dict[str, Any] = {
        "identifier": "apache-nifi",
        "agentType": "nifi",
        "version": versions[-1],
        "buildInfo": {"version": versions[-1]},
        "bundles": bundles,
    }
    if failed:
        document[MISSING_KEY] = [c for c, _ in failed]
    manifest = manifest_from_json(document, _nars_source(ordered, len(bundles)))
    _write_cached(cached, manifest)
    return manifest


def _nars_source(coordinates: list[str], found: int) -> str:
    versions = sorted({c.split(":")[2] for c in coordinates}, key=_version_key)
    groups = sorted({c.split(":")[0] for c in coordinates})
    return f"NARs {','.join(groups)}:...@{','.join(versions)} ({found} bundles)"


def _read_cached(path: Path) -> Mapping[str, Any]:
    try:
        return _from_file(path).document
    except ManifestError as error:
        raise ManifestError(f"{error}; delete the cached file `{path}` so it is produced again") from error


def _write_cached(path: Path, manifest: RuntimeManifest) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(path.name + ".part")
    part.write_text(manifest.to_json(), encoding="utf-8")
    part.replace(path)


def _bundle(entry: Mapping[str, Any]) -> Bundle:
    return Bundle(str(entry.get("group", "")), str(entry.get("artifact", "")), str(entry.get("version", "")))


def _component(item: Mapping[str, Any], kind: ComponentKind, bundle: Bundle) -> ComponentSpec:
    own = Bundle(item.get("group", bundle.group), item.get("artifact", bundle.artifact),
                 item.get("version", bundle.version))
    descriptors: Mapping[str, Mapping[str, Any]] = item.get("propertyDescriptors") or {}
    return ComponentSpec(
        type=item["type"],
        kind=kind,
        bundle=own,
        properties=MappingProxyType({name: _property(name, d) for name, d in descriptors.items()}),
        supports_dynamic_properties=bool(item.get("supportsDynamicProperties")),
        supports_dynamic_relationships=bool(item.get("supportsDynamicRelationships")),
        relationships=tuple(r["name"] for r in item.get("supportedRelationships") or ()),
        provided_apis=tuple((api["type"], _bundle(api)) for api in item.get("providedApiImplementations") or ()),
    )


def _property(name: str, descriptor: Mapping[str, Any]) -> PropertySpec:
    service = descriptor.get("typeProvidedByValue") or {}
    return PropertySpec(
        name=descriptor.get("name", name),
        display_name=descriptor.get("displayName") or descriptor.get("name", name),
        description=descriptor.get("description") or "",
        required=bool(descriptor.get("required")),
        sensitive=bool(descriptor.get("sensitive")),
        default_value=descriptor.get("defaultValue"),
        allowable_values=tuple(v["value"] for v in descriptor.get("allowableValues") or ()),
        controller_service_api=service.get("type"),
        dependencies=tuple(
            PropertyDependency(d["propertyName"], tuple(d.get("dependentValues") or ()))
            for d in descriptor.get("dependencies") or ()
        ),
        expression_language_scope=descriptor.get("expressionLanguageScope"),
        dynamic=bool(descriptor.get("dynamic")),
    )


def _component_json(spec: ComponentSpec) -> dict[str, Any]:
    """A ComponentSpec in NiFi's manifest shape (the inverse of `_component`)."""
    item: dict[str, Any] = {
        "type": spec.type, "group": spec.bundle.group, "artifact": spec.bundle.artifact,
        "version": spec.bundle.version,
        "propertyDescriptors": {p.name: _property_json(p) for p in spec.properties.values()},
        "supportsDynamicProperties": spec.supports_dynamic_properties,
    }
    if spec.provided_apis:
        item["providedApiImplementations"] = [
            {"type": api, "group": b.group, "artifact": b.artifact, "version": b.version} for api, b in spec.provided_apis
        ]
    if spec.kind == "processor":
        item["supportedRelationships"] = [{"name": r} for r in spec.relationships]
        item["supportsDynamicRelationships"] = spec.supports_dynamic_relationships
    return item


def _property_json(prop: PropertySpec) -> dict[str, Any]:
    descriptor: dict[str, Any] = {
        "name": prop.name, "displayName": prop.display_name, "description": prop.description,
        "required": prop.required, "sensitive": prop.sensitive, "dynamic": prop.dynamic,
    }
    if prop.default_value is not None:
        descriptor["defaultValue"] = prop.default_value
    if prop.allowable_values:
        descriptor["allowableValues"] = [{"value": v, "displayName": v} for v in prop.allowable_values]
    if prop.controller_service_api is not None:
        descriptor["typeProvidedByValue"] = {"type": prop.controller_service_api}
    if prop.dependencies:
        descriptor["dependencies"] = [
            {"propertyName": d.property_name, **({"dependentValues": list(d.dependent_values)} if d.dependent_values else {})}
            for d in prop.dependencies
        ]
    if prop.expression_language_scope is not None:
        descriptor["expressionLanguageScope"] = prop.expression_language_scope
    return descriptor


def _version_key(version: str) -> tuple[tuple[int, int | str], ...]:
    """Numeric parts compare as numbers, so 2.10.0 is newer than 2.9.0."""
    return tuple((1, int(p)) if p.isdigit() else (0, p) for p in re.split(r"[.\-]", version))
