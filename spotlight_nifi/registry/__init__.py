"""Flow versions in a flow registry per environment: a Git repository (NiFi 2.x's Git registry
clients' layout) or a NiFi Registry server; `push` and `promote` write only changed content and
never over a version they would lose."""

from __future__ import annotations

from spotlight_nifi.registry.environments import Environment, load_environment, open_registry
from spotlight_nifi.registry.errors import RegistryConflict, RegistryError, RegistryMoved, RegistryUnreachable
from spotlight_nifi.registry.git import GitFlowRegistry
from spotlight_nifi.registry.interface import FlowRegistry, FlowVersion, Publication
from spotlight_nifi.registry.lineage import Source, current_source
from spotlight_nifi.registry.nifi_registry import NiFiRegistryServer
from spotlight_nifi.registry.publish import Outcome, Report, author_of, promote, push_flows, write

__all__ = [
    "Environment", "FlowRegistry", "FlowVersion", "GitFlowRegistry", "NiFiRegistryServer", "Outcome", "Publication",
    "RegistryConflict", "RegistryError", "RegistryMoved", "RegistryUnreachable", "Report", "Source", "author_of",
    "current_source", "load_environment", "open_registry", "promote", "push_flows", "write",
]
