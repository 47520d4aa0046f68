"""Runtime-manifest bundles assembled from NARs, for when no published manifest can be had.

Every NAR carries `META-INF/docs/extension-manifest.xml`, the per-bundle documentation that
NiFi's build (`StandardRuntimeManifestBuilder`) and a running NiFi (`StandardRuntimeManifestService`)
turn into the `bundles[]` of the runtime manifest. This module does the same conversion, field
for field, so the rest of the package reads one format: the runtime-manifest JSON. Fields NiFi
derives from framework constants rather than from the NAR (scheduling defaults, expression
language scope descriptions) are left out; nothing in spotlight-nifi reads them.

The bundle coordinate comes from the NAR's `META-INF/MANIFEST.MF` (Nar-Group, Nar-Id,
Nar-Version), as NiFi does, because older NARs leave it out of the XML.
"""

from __future__ import annotations

import urllib.error
import urllib.request
import zipfile
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from spotlight_nifi.errors import ManifestError
from spotlight_nifi.flow.manifest_sources import MAVEN_CENTRAL

EXTENSION_MANIFEST = "META-INF/docs/extension-manifest.xml"
_DETAILS = "META-INF/docs/additional-details/"

# extension-manifest.xml <type> → componentManifest key, in NiFi's order.
COMPONENT_LISTS: dict[str, str] = {
    "PROCESSOR": "processors",
    "CONTROLLER_SERVICE": "controllerServices",
    "REPORTING_TASK": "reportingTasks",
    "PARAMETER_PROVIDER": "parameterProviders",
    "FLOW_ANALYSIS_RULE": "flowAnalysisRules",
    "FLOW_REGISTRY_CLIENT": "flowRegistryClients",
}

_PROCESSOR_FLAGS = (
    "triggerWhenEmpty", "triggerSerially", "triggerWhenAnyDestinationAvailable",
    "supportsBatching", "primaryNodeOnly", "sideEffectFree",
)


def parse_coordinate(coordinate: str) -> tuple[str, str, str]:
    """`group:artifact:version` split in three, or an error naming the malformed coordinate."""
    parts = coordinate.split(":")
    if len(parts) != 3 or not all(parts):
        raise ManifestError(f"NAR coordinate `{coordinate}` is not `group:artifact:version`")
    return parts[0], parts[1], parts[2]


def artifact_url(group: str, artifact: str, version: str, extension: str, repository: str = MAVEN_CENTRAL) -> str:
    """The Maven repository URL of one artifact file."""
    return f"{repository}/{group.replace('.', '/')}/{artifact}/{version}/{artifact}-{version}.{extension}"


def download(url: str, dest: Path) -> str | None:
    """Fetch `url` into `dest` (atomically); None when done, else why not (`HTTP 404`, ...)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    try:
        with urllib.request.urlopen(url, timeout=120) as response, part.open("wb") as out:
            while chunk := response.read(1 << 20):
                out.write(chunk)
    except urllib.error.HTTPError as error:
        part.unlink(missing_ok=True)
        return f"HTTP {error.code}"
    except (urllib.error.URLError, OSError) as error:
        part.unlink(missing_ok=True)
        return f"download failed: {getattr(error, 'reason', error)}"
    part.replace(dest)
    return None


def read_nar(path: Path) -> dict[str, Any]:
    """The runtime-manifest bundle (`group`, `artifact`, `version`, `componentManifest`) of a NAR."""
    try:
        with zipfile.ZipFile(path) as nar:
            attributes = _manifest_attributes(nar.read("META-INF/MANIFEST.MF").decode("utf-8"))
            names = set(nar.namelist())
            xml = nar.read(EXTENSION_MANIFEST) if EXTENSION_MANIFEST in names else None
            detailed = {n.split("/")[3] for n in names if n.startswith(_DETAILS) and n.endswith("/additionalDetails.md")}
    except (zipfile.BadZipFile, KeyError, OSError) as error:
        raise ManifestError(f"`{path}` is not a readable NAR ({error}); delete it so it is downloaded again") from error
    try:
        bundle: dict[str, Any] = {
            "group": attributes["Nar-Group"], "artifact": attributes["Nar-Id"], "version": attributes["Nar-Version"],
        }
    except KeyError as error:
        raise ManifestError(f"`{path}` has no {error.args[0]} in META-INF/MANIFEST.MF: not a NiFi NAR") from error
    if xml is not None:
        bundle["componentManifest"] = component_manifest(ElementTree.fromstring(xml), bundle, detailed)
    return bundle


def _manifest_attributes(text: str) -> dict[str, str]:
    """MANIFEST.MF main attributes; a line starting with a space continues the previous one."""
    attributes: dict[str, str] = {}
    key = ""
    for line in text.splitlines():
        if line.startswith(" ") and key:
            attributes[key] += line[1:]
        elif ":" in line:
            key, _, value = line.partition(":")
            attributes[key] = value.strip()
    return attributes


def component_manifest(root: ElementTree.Element, bundle: dict[str, Any],
                       detailed: set[str]) -> dict[str, list[dict[str, Any]]]:
    """`componentManifest` of one bundle from its `<extensionManifest>` element.

    `detailed`: the types with an `additional-details/<type>/additionalDetails.md` page.
    """
    lists: dict[str, list[dict[str, Any]]] = {key: [] for key in COMPONENT_LISTS.values()}
    revision = _text(root.find("buildInfo"), "revision")
    for extension in root.iterfind("extensions/extension"):
        key = COMPONENT_LISTS.get(_text(extension, "type") or "")
        if key is not None:
            lists[key].append(_component(extension, bundle, revision, key == "processors", detailed))
    return lists


def _component(extension: ElementTree.Element, bundle: dict[str, Any], revision: str | None,
               processor: bool, detailed: set[str]) -> dict[str, Any]:
    component: dict[str, Any] = {
        "type": _text(extension, "name"),
        "typeDescription": _text(extension, "description"),
        "group": bundle["group"], "artifact": bundle["artifact"], "version": bundle["version"],
    }
    if revision is not None:
        component["buildInfo"] = {"revision": revision}
    if tags := _texts(extension, "tags/tag"):
        component["tags"] = sorted(set(tags))
    if see_also := _texts(extension, "seeAlso/see"):
        component["seeAlso"] = sorted(set(see_also))
    reason = _text(extension.find("deprecationNotice"), "reason")
    if reason is not None:
        component["deprecated"] = True
        component["deprecationReason"] = reason
        if alternatives := _texts(extension, "deprecationNotice/alternatives/alternative"):
            component["deprecationAlternatives"] = sorted(set(alternatives))
    if apis := [_defined_type(api) for api in extension.iterfind("providedServiceAPIs/providedServiceAPI")]:
        component["providedApiImplementations"] = apis
    stateful = extension.find("stateful")
    if stateful is not None and stateful.find("scopes") is not None:
        component["stateful"] = {"description": _text(stateful, "description"),
                                 "scopes": sorted(set(_texts(stateful, "scopes/scope")))}
    component["additionalDetails"] = component["type"] in detailed
    descriptors = {d["name"]: d for d in map(_property, extension.iterfind("properties/property"))}
    if descriptors:
        component["propertyDescriptors"] = descriptors
    dynamic = [_dynamic_property(p) for p in extension.iterfind("dynamicProperties/dynamicProperty")]
    component["supportsDynamicProperties"] = bool(dynamic)
    component["supportsSensitiveDynamicProperties"] = bool(dynamic) and _bool(extension, "supportsSensitiveDynamicProperties")
    if dynamic:
        component["dynamicProperties"] = dynamic
    if processor:
        component.update(_processor_fields(extension))
    return _without_none(component)


def _processor_fields(extension: ElementTree.Element) -> dict[str, Any]:
    fields: dict[str, Any] = {"inputRequirement": _text(extension, "inputRequirement")}
    relationships = [
        _without_none({"name": _text(r, "name"), "description": _text(r, "description")})
        for r in extension.iterfind("relationships/relationship")
    ]
    if relationships:
        fields["supportedRelationships"] = relationships
    dynamic = extension.find("dynamicRelationship")
    fields["supportsDynamicRelationships"] = dynamic is not None
    if dynamic is not None:
        fields["dynamicRelationship"] = {"name": _text(dynamic, "name"), "description": _text(dynamic, "description")}
    for flag in _PROCESSOR_FLAGS:
        fields[flag] = _bool(extension, flag)
    return fields


def _property(prop: ElementTree.Element) -> dict[str, Any]:
    descriptor: dict[str, Any] = {
        "name": _text(prop, "name"),
        "displayName": _text(prop, "displayName"),
        "description": _text(prop, "description"),
        "defaultValue": _text(prop, "defaultValue"),
        "required": _bool(prop, "required"),
        "sensitive": _bool(prop, "sensitive"),
        "expressionLanguageScope": _text(prop, "expressionLanguageScope"),
        "dynamic": _bool(prop, "dynamic"),
    }
    allowable = [
        {"value": _text(v, "value"), "displayName": _text(v, "displayName"), "description": _text(v, "description")}
        for v in prop.iterfind("allowableValues/allowableValue")
    ]
    if allowable:
        descriptor["allowableValues"] = [_without_none(v) for v in allowable]
    service = prop.find("controllerServiceDefinition")
    if service is not None:
        descriptor["typeProvidedByValue"] = _defined_type(service)
    resource = prop.find("resourceDefinition")
    if resource is not None and _text(resource, "cardinality") is not None:
        descriptor["resourceDefinition"] = {"cardinality": _text(resource, "cardinality"),
                                            "resourceTypes": sorted(set(_texts(resource, "resourceTypes/resourceType")))}
    dependencies = [
        _without_none({
            "propertyName": _text(d, "propertyName"),
            "propertyDisplayName": _text(d, "propertyDisplayName"),
            "dependentValues": _texts(d, "dependentValues/dependentValue") if d.find("dependentValues") is not None else None,
        })
        for d in prop.iterfind("dependencies/dependency")
    ]
    if dependencies:
        descriptor["dependencies"] = dependencies
    return _without_none(descriptor)


def _dynamic_property(prop: ElementTree.Element) -> dict[str, Any]:
    return _without_none({
        "name": _text(prop, "name"), "value": _text(prop, "value"), "description": _text(prop, "description"),
        "expressionLanguageScope": _text(prop, "expressionLanguageScope"),
    })


def _defined_type(element: ElementTree.Element) -> dict[str, Any]:
    """A `<className/groupId/artifactId/version>` element as a runtime-manifest DefinedType."""
    return _without_none({
        "type": _text(element, "className"), "group": _text(element, "groupId"),
        "artifact": _text(element, "artifactId"), "version": _text(element, "version"),
    })


def _text(element: ElementTree.Element | None, path: str) -> str | None:
    if element is None:
        return None
    found = element.find(path)
    return None if found is None else (found.text or "")


def _texts(element: ElementTree.Element, path: str) -> list[str]:
    return [found.text or "" for found in element.iterfind(path)]


def _bool(element: ElementTree.Element, path: str) -> bool:
    return (_text(element, path) or "").strip() == "true"


def _without_none(values: dict[str, Any]) -> dict[str, Any]:
    """NiFi serialises the manifest with Jackson's NON_NULL inclusion: absent, never null."""
    return {k: v for k, v in values.items() if v is not None}
