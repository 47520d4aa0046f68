"""What a build targets: the NiFi release, and the runtime manifest it validates against.

The release is `--nifi-version`, else `NIFI_VERSION` (per environment, e.g. `DEV_NIFI_VERSION`),
else the pinned one. The manifest is NiFi's for that release, plus this project's Python
processors: NiFi reports Python processors in its runtime manifest only once it has loaded
them, so a flow using ours could not be checked before its first deploy. Adding their specs from
`spotlight_nifi.processor_specs` (the same specs the processors build their descriptors from)
checks them like any other component.
"""

from __future__ import annotations

from pathlib import Path

from spotlight_nifi import processor_specs
from spotlight_nifi.config import Settings
from spotlight_nifi.flow.manifest import PropertySpec, RuntimeManifest, manifest_from_settings, python_processor_spec
from spotlight_nifi.flow.release import PINNED, Release, release
from spotlight_nifi.processor_specs import PythonProcessorSpec
from spotlight_nifi.versions import NIFI_VERSION


def _spec(processor: PythonProcessorSpec):
    return python_processor_spec(processor.type, processor.version, [
        PropertySpec(name=p.name, display_name=p.name, description=p.description, required=p.required,
                     sensitive=p.sensitive, default_value=p.default, allowable_values=p.allowable,
                     controller_service_api=None, dependencies=(), expression_language_scope=None)
        for p in processor.properties
    ])


def with_project_processors(manifest: RuntimeManifest) -> RuntimeManifest:
    """`manifest` plus this project's Python processors where it lacks them or their properties: a
    running NiFi lists the Python processors it loaded, but without their property descriptors."""
    missing = [p for p in processor_specs.ALL
               if not any(spec.properties for spec in manifest.candidates(p.type))]
    return manifest.with_components(_spec(p) for p in missing)


def target_release(settings: Settings, version: str | None = None, environment: str | None = None) -> Release:
    """The release to compile for: `version`, else `NIFI_VERSION`, else the pinned one; unknown ones are an error."""
    return release(version or settings.get("NIFI_VERSION", environment=environment) or NIFI_VERSION)


def target_manifest(settings: Settings, path: Path | None = None, *, target: Release = PINNED,
                    environment: str | None = None) -> RuntimeManifest:
    """The manifest for `build` and `validate` of `target`: bundles that cannot be had are reported as unchecked."""
    return with_project_processors(manifest_from_settings(settings, path, environment=environment,
                                                          allow_missing=True, nifi_version=target.version))
