"""Check a flow definition against a NiFi runtime manifest before it reaches a server.

Works on the compiled JSON (so it also checks flow definitions downloaded from NiFi) and
reports every problem at once, each on one line naming the flow, the component's path and the
property or relationship, with the closest valid name where there is one. What it checks:
- the component type exists in the manifest, in the bundle the flow names;
- every property is known (or the component supports dynamic properties), every value is one of
  the allowable values (parameter and expression references are not judged), every required
  property whose dependencies are met is set, a sensitive property holds only a `#{parameter}`
  reference, and a controller-service property names a service in scope that implements the API;
- every selected or auto-terminated relationship exists, and every relationship is either
  connected or auto-terminated (otherwise NiFi marks the processor invalid);
- every `#{parameter}` a property uses is defined in the group's parameter context.
Components whose bundle the manifest does not hold at all are listed as unchecked, or are an
error with `strict=True`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from spotlight_nifi.errors import ManifestValidationError
from spotlight_nifi.flow.manifest import Bundle, ComponentSpec, RuntimeManifest, closest

PARAMETER_REF = re.compile(r"#\{([^}]+)\}")
ONLY_PARAMETER_REF = re.compile(r"^#\{[^}]+\}$")


@dataclass(frozen=True)
class Issue:
    flow: str
    path: str
    message: str

    def __str__(self) -> str:
        return str(ManifestValidationError(self.flow, self.path, self.message))


@dataclass
class Report:
    """What validation found: problems, and the components it could not check, by missing bundle."""

    issues: list[Issue] = field(default_factory=list)
    unchecked: dict[str, list[str]] = field(default_factory=dict)


class ValidationFailed(ManifestValidationError):
    """One or more issues; the message is one line per issue."""

    def __init__(self, issues: list[Issue]) -> None:
        self.issues = issues
        first = issues[0]
        super().__init__(first.flow, first.path, first.message)
        self.args = ("\n".join(str(i) for i in issues),)

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True)
class _Group:
    path: str
    body: Mapping[str, Any]
    parameters: frozenset[str]
    services: Mapping[str, Mapping[str, Any]]


def _groups(snapshot: Mapping[str, Any]) -> Iterator[_Group]:
    contexts = snapshot.get("parameterContexts") or {}

    def parameters_of(name: str | None, seen: frozenset[str] = frozenset()) -> frozenset[str]:
        context = contexts.get(name) if name else None
        if context is None or name in seen:
            return frozenset()
        own = frozenset(p["name"] for p in context.get("parameters", []))
        inherited = [parameters_of(n, seen | {name}) for n in context.get("inheritedParameterContexts", [])]
        return own.union(*inherited)

    def walk(body: Mapping[str, Any], prefix: str, services: Mapping[str, Mapping[str, Any]]) -> Iterator[_Group]:
        path = f"{prefix}/{body['name']}" if prefix else body["name"]
        in_scope = {**services, **{s["identifier"]: s for s in body.get("controllerServices", [])}}
        yield _Group(path, body, parameters_of(body.get("parameterContextName")), in_scope)
        for child in body.get("processGroups", []):
            yield from walk(child, path, in_scope)

    yield from walk(snapshot["flowContents"], "", {})


class _Validator:
    def __init__(self, flow: str, manifest: RuntimeManifest, strict: bool) -> None:
        self.flow = flow
        self.manifest = manifest
        self.strict = strict
        self.report = Report()

    def issue(self, path: str, message: str) -> None:
        self.report.issues.append(Issue(self.flow, path, message))

    def run(self, snapshot: Mapping[str, Any]) -> Report:
        for group in _groups(snapshot):
            outgoing: dict[str, set[str]] = {}
            for connection in group.body.get("connections", []):
                outgoing.setdefault(connection["source"]["id"], set()).update(connection["selectedRelationships"])
            for service in group.body.get("controllerServices", []):
                self.extension(group, service, "controller_service", None)
            for processor in group.body.get("processors", []):
                self.extension(group, processor, "processor", outgoing.get(processor["identifier"], set()))
        return self.report

    def spec_for(self, path: str, component: Mapping[str, Any], kind: str) -> ComponentSpec | None:
        bundle = Bundle(**{k: component["bundle"][k] for k in ("group", "artifact", "version")})
        spec = self.manifest.find(component["type"], bundle)
        if spec is not None:
            return spec
        others = self.manifest.candidates(component["type"])
        if others:
            found = ", ".join(sorted({f"{c.bundle.group}:{c.bundle.artifact}:{c.bundle.version}" for c in others}))
            self.issue(path, f"type `{component['type']}` is not in bundle `{bundle.group}:{bundle.artifact}:"
                             f"{bundle.version}`; the manifest has it in `{found}`")
        elif not self.manifest.has_bundle(bundle.group, bundle.artifact):
            text = (f"bundle `{bundle.group}:{bundle.artifact}` is not in the runtime manifest "
                    f"({self.manifest.source}), so `{component['type']}` cannot be checked")
            if self.strict:
                self.issue(path, text)
            else:
                self.report.unchecked.setdefault(f"{bundle.group}:{bundle.artifact}", []).append(path)
        else:
            hint = closest(component["type"], self.manifest.types(kind))
            self.issue(path, f"unknown {kind.replace('_', ' ')} type `{component['type']}`"
                             + (f"; did you mean `{hint}`?" if hint else ""))
        return None

    def extension(self, group: _Group, component: Mapping[str, Any], kind: str, connected: set[str] | None) -> None:
        path = f"{group.path}/{component['name']}"
        self.parameters(group, path, component)
        spec = self.spec_for(path, component, kind)
        if spec is None:
            return
        properties: Mapping[str, Any] = component.get("properties") or {}
        for key, value in properties.items():
            self.property(group, path, spec, key, value)
        self.required(path, spec, properties)
        if connected is not None:
            self.relationships(path, spec, component, connected)

    def parameters(self, group: _Group, path: str, component: Mapping[str, Any]) -> None:
        for key, value in (component.get("properties") or {}).items():
            for name in PARAMETER_REF.findall(value or ""):
                if name not in group.parameters:
                    hint = closest(name, group.parameters)
                    self.issue(path, f"property `{key}` uses parameter `{name}`, which the group's parameter "
                                     "context does not define" + (f"; did you mean `{hint}`?" if hint else ""))

    def property(self, group: _Group, path: str, spec: ComponentSpec, key: str, value: str | None) -> None:
        prop = spec.property(key)
        if prop is None:
            if not spec.supports_dynamic_properties:
                hint = closest(key, spec.properties)
                self.issue(path, f"unknown property `{key}` for `{spec.type}`"
                                 + (f"; did you mean `{hint}`?" if hint else ""))
            return
        if value is None:
            return
        is_reference = "#{" in value or "${" in value
        if prop.allowable_values and not is_reference and value not in prop.allowable_values and not prop.controller_service_api:
            self.issue(path, f"property `{key}` = `{value}` is not allowed; allowed: "
                             + ", ".join(f"`{v}`" for v in prop.allowable_values))
        if prop.sensitive and not ONLY_PARAMETER_REF.match(value):
            self.issue(path, f"sensitive property `{key}` holds a literal value; use a sensitive parameter "
                             "reference such as `#{clickhouse.password}` filled from the environment")
        if prop.controller_service_api:
            self.service_reference(group, path, key, value, prop.controller_service_api)

    def service_reference(self, group: _Group, path: str, key: str, value: str, api: str) -> None:
        service = group.services.get(value)
        if service is None:
            self.issue(path, f"property `{key}` must name a controller service in this group or above it "
                             f"implementing `{api}`")
            return
        bundle = Bundle(**{k: service["bundle"][k] for k in ("group", "artifact", "version")})
        spec = self.manifest.find(service["type"], bundle)
        if spec is not None and spec.provided_apis and api not in {t for t, _ in spec.provided_apis}:
            self.issue(path, f"property `{key}` names `{service['name']}` ({service['type']}), which does not "
                             f"implement `{api}`")

    def required(self, path: str, spec: ComponentSpec, properties: Mapping[str, Any]) -> None:
        def effective(name: str) -> str | None:
            value = properties.get(name)
            if value is not None:
                return value
            other = spec.property(name)
            return other.default_value if other else None

        for prop in spec.properties.values():
            if not prop.required or prop.default_value is not None or properties.get(prop.name) is not None:
                continue
            active = all(
                (effective(d.property_name) is not None)
                and (not d.dependent_values or effective(d.property_name) in d.dependent_values)
                for d in prop.dependencies
            )
            if active:
                self.issue(path, f"required property `{prop.name}` is not set")

    def relationships(self, path: str, spec: ComponentSpec, processor: Mapping[str, Any], connected: set[str]) -> None:
        known = set(spec.relationships)
        if spec.supports_dynamic_relationships:
            known |= {k for k in (processor.get("properties") or {}) if spec.property(k) is None}
        terminated = set(processor.get("autoTerminatedRelationships") or [])
        for name in sorted((connected | terminated) - known):
            hint = closest(name, known)
            self.issue(path, f"unknown relationship `{name}` (relationships: "
                             + ", ".join(f"`{r}`" for r in sorted(known)) + ")"
                             + (f"; did you mean `{hint}`?" if hint else ""))
        for name in sorted(known - connected - terminated):
            self.issue(path, f"relationship `{name}` is neither connected nor auto-terminated; NiFi would mark "
                             "the processor invalid: connect it (failures to the failure DB) or auto-terminate it")


def validate(flow: str, snapshot: Mapping[str, Any], manifest: RuntimeManifest, *, strict: bool = False) -> Report:
    """Every problem of `snapshot` against `manifest`; `strict` also fails on unchecked bundles."""
    return _Validator(flow, manifest, strict).run(snapshot)
