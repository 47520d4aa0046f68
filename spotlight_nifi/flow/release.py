"""One flow source, compiled for the NiFi release each environment runs.

Constructors write components as the pinned release has them (`versions.NIFI_VERSION`): its
bundle version, its property keys and values. A `Release` renders such a component for a target
release: NiFi's own bundles take the target's version, and every key and value listed in
`property_changes` goes back to what the target calls it. A component pinned on purpose to a
bundle of another version (`Bundle.nifi(artifact, "2.3.0")`) is left exactly as written: whoever
pinned it wrote that version's keys.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TypeVar

from spotlight_nifi.errors import ConfigError
from spotlight_nifi.flow.model import PYTHON_BUNDLE_ARTIFACT, Bundle
from spotlight_nifi.flow.property_changes import RENAMED, REVALUED, TARGET_VERSIONS
from spotlight_nifi.versions import NIFI_GROUP, NIFI_VERSION

_V = TypeVar("_V")


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version))


@dataclass(frozen=True)
class Release:
    """A NiFi release flows are compiled for; `release(version)` makes one for a known version."""

    version: str
    _keys: Mapping[str, Mapping[str, str]] = field(init=False, repr=False, compare=False)
    _values: Mapping[tuple[str, str, str], str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        target = _version_key(self.version)
        keys: dict[str, dict[str, str]] = {}
        for row in sorted(RENAMED, key=lambda r: _version_key(r.since), reverse=True):
            if target < _version_key(row.since):
                renames = keys.setdefault(row.type, {})
                original = next((k for k, v in renames.items() if v == row.key), row.key)
                renames[original] = row.before
        values = {(r.type, r.key, r.value): r.before for r in REVALUED if target < _version_key(r.since)}
        object.__setattr__(self, "_keys", keys)
        object.__setattr__(self, "_values", values)

    def follows(self, bundle: Bundle) -> bool:
        """Whether `bundle` is one of NiFi's own at the pinned version, so it takes the target's."""
        return (bundle.group == NIFI_GROUP and bundle.artifact != PYTHON_BUNDLE_ARTIFACT
                and bundle.version == NIFI_VERSION)

    def bundle(self, bundle: Bundle) -> Bundle:
        return replace(bundle, version=self.version) if self.follows(bundle) else bundle

    def key(self, type: str, bundle: Bundle, key: str) -> str:
        """What the target release calls the property the pinned release calls `key`."""
        return self._keys.get(type, {}).get(key, key) if self.follows(bundle) else key

    def value(self, type: str, bundle: Bundle, key: str, value: _V) -> _V | str:
        """`value` of the pinned release's property `key` as the target release writes it."""
        if not isinstance(value, str) or not self.follows(bundle):
            return value
        return self._values.get((type, key, value), value)


PINNED = Release(NIFI_VERSION)


def release(version: str) -> Release:
    """The release `version`, or an error naming it and the versions whose keys are known."""
    if version not in TARGET_VERSIONS:
        raise ConfigError(
            "NIFI_VERSION",
            f"NiFi version `{version}` is not a known target (known: {', '.join(TARGET_VERSIONS)}; default: the "
            f"pinned {NIFI_VERSION}); a newer release needs its key changes checked into "
            "spotlight_nifi/flow/property_changes.py first",
        )
    return PINNED if version == NIFI_VERSION else Release(version)
