"""Errors of the flow registry, in the package's one hierarchy (`SpotlightError`).

Each names the environment and the registry (type, location, branch or bucket) at fault, and
the flow when there is one, so a one-line message says where to look.
"""

from __future__ import annotations

from spotlight_nifi.errors import SpotlightError


class RegistryError(SpotlightError):
    """A flow registry refused or failed an operation."""

    def __init__(self, environment: str, registry: str, message: str) -> None:
        self.environment = environment
        self.registry = registry
        super().__init__(f"environment `{environment}` ({registry}): {message}")


class RegistryUnreachable(RegistryError):
    """The registry cannot be reached: a wrong URL or path, a server down, no network."""


class RegistryMoved(RegistryError):
    """Another writer got a version in first, between our read and our write: read again."""


class RegistryConflict(RegistryError):
    """The registry holds versions this push would silently replace; one line per flow."""

    def __init__(self, environment: str, registry: str, conflicts: list[str], fix: str) -> None:
        self.conflicts = conflicts
        super().__init__(environment, registry, "; ".join(conflicts) + f": {fix}")
