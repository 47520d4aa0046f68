"""The runtime manifest a build validates against: NiFi's, plus this project's Python processors.

NiFi reports Python processors in its runtime manifest only once it has loaded them, so a flow
using ours could not be checked before its first deploy. Adding their specs from
`spotlight_nifi.processor_specs` (the same specs the processors build their descriptors from)
checks them like any other component.
"""

from __future__ import annotations

from pathlib import Path

from spotlight_nifi import processor_specs
from spotlight_nifi.config import Settings
from spotlight_nifi.flow.manifest import PropertySpec, RuntimeManifest, manifest_from_settings, python_processor_spec
from spotlight_nifi.processor_specs import PythonProcessorSpec


def _spec(processor: PythonProcessorSpec):
    return python_processor_spec(processor.type, processor.version, [
        PropertySpec(name=p.name, display_name=p.name, description=p.description, required=p.required,
                     sensitive=p.sensitive, default_value=p.default, allowable_values=p.allowable,
                     controller_service_api=None, dependencies=(), expression_language_scope=None)
        for p in processor.properties
    ])


def with_project_processors(manifest: RuntimeManifest) -> RuntimeManifest:
    """`manifest` plus this project's Python processors, unless it already reports them."""
    missing = [p for p in processor_specs.ALL if not manifest.candidates(p.type)]
    return manifest.with_components(_spec(p) for p in missing)


def target_manifest(settings: Settings, path: Path | None = None) -> RuntimeManifest:
    """The manifest for `build` and `validate`: bundles that cannot be had are reported as unchecked."""
    return with_project_processors(manifest_from_settings(settings, path, allow_missing=True))
