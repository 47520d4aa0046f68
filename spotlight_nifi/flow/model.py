"""The flow DSL: typed dataclasses for everything a NiFi 2.x flow holds.

A flow is a tree of process groups. Components hold direct references to each other (a
property value may be a `ControllerService`, a connection names its endpoints), so a typo is a
Python error rather than a dangling id. Names are unique among the components of one group,
because a component's stable identifier is derived from its path of names (see `compile`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal, TypeVar, Union

from spotlight_nifi.versions import NIFI_GROUP, NIFI_VERSION

ScheduledState = Literal["ENABLED", "DISABLED", "RUNNING"]
SchedulingStrategy = Literal["TIMER_DRIVEN", "CRON_DRIVEN"]
BackoffMechanism = Literal["PENALIZE_FLOWFILE", "YIELD_PROCESSOR"]
BulletinLevel = Literal["DEBUG", "INFO", "WARN", "ERROR", "NONE"]
LoadBalanceStrategy = Literal["DO_NOT_LOAD_BALANCE", "PARTITION_BY_ATTRIBUTE", "ROUND_ROBIN", "SINGLE_NODE"]
Role = Literal["source", "main", "sink", "failure"]

PYTHON_BUNDLE_ARTIFACT = "python-extensions"


@dataclass(frozen=True, order=True)
class Bundle:
    """Where a component's class comes from: a NAR's coordinates."""

    group: str
    artifact: str
    version: str

    @classmethod
    def nifi(cls, artifact: str, version: str = NIFI_VERSION) -> Bundle:
        """A bundle shipped with Apache NiFi itself; at the pinned version (the default) it follows the
        release a flow is compiled for (see `release`)."""
        return cls(NIFI_GROUP, artifact, version)

    @classmethod
    def python(cls, version: str) -> Bundle:
        """The bundle NiFi reports for a Python processor of the given ProcessorDetails.version."""
        return cls(NIFI_GROUP, PYTHON_BUNDLE_ARTIFACT, version)

    def __str__(self) -> str:
        return f"{self.group}:{self.artifact}:{self.version}"


@dataclass(frozen=True)
class Parameter:
    """A parameter of a context. Sensitive parameters never carry a value in flow JSON: `env`
    names the `.env` key that fills them at deploy time (for non-sensitive ones too). An empty
    `value` marks an optional setting: an environment without the key leaves it empty."""

    name: str
    value: str | None = None
    sensitive: bool = False
    env: str | None = None
    description: str = ""

    def __post_init__(self) -> None:
        if self.sensitive and self.value is not None:
            raise ValueError(
                f"sensitive parameter `{self.name}` must not carry a value: name its .env key with env=..."
            )


@dataclass
class ParameterContext:
    """A named set of parameters bound to a process group."""

    name: str
    parameters: list[Parameter] = field(default_factory=list)
    description: str = ""
    inherits: list[str] = field(default_factory=list)


@dataclass(eq=False)
class Component:
    """Anything with a name inside a process group."""

    name: str
    comments: str = field(default="", kw_only=True)


_C = TypeVar("_C", bound=Component)


PropertyValue = Union[str, "ControllerService", None]


@dataclass(eq=False)
class Extension(Component):
    """A component backed by a Java or Python class: a processor or a controller service."""

    type: str = field(kw_only=True)
    bundle: Bundle = field(kw_only=True)
    properties: dict[str, PropertyValue] = field(default_factory=dict, kw_only=True)
    sensitive: frozenset[str] = field(default=frozenset(), kw_only=True)


@dataclass(eq=False)
class ControllerService(Extension):
    """A controller service; `apis` lists the service interfaces it provides (type, bundle)."""

    apis: tuple[tuple[str, Bundle], ...] = field(default=(), kw_only=True)
    state: ScheduledState = field(default="ENABLED", kw_only=True)
    bulletin_level: BulletinLevel = field(default="WARN", kw_only=True)


@dataclass(eq=False)
class Processor(Extension):
    """A processor with NiFi's scheduling, retry and termination settings."""

    role: Role = field(default="main", kw_only=True)
    auto_terminate: tuple[str, ...] = field(default=(), kw_only=True)
    scheduling_period: str = field(default="0 sec", kw_only=True)
    scheduling_strategy: SchedulingStrategy = field(default="TIMER_DRIVEN", kw_only=True)
    concurrent_tasks: int = field(default=1, kw_only=True)
    run_duration_millis: int = field(default=0, kw_only=True)
    penalty_duration: str = field(default="30 sec", kw_only=True)
    yield_duration: str = field(default="1 sec", kw_only=True)
    bulletin_level: BulletinLevel = field(default="WARN", kw_only=True)
    retry_count: int = field(default=10, kw_only=True)
    retried_relationships: tuple[str, ...] = field(default=(), kw_only=True)
    backoff_mechanism: BackoffMechanism = field(default="PENALIZE_FLOWFILE", kw_only=True)
    max_backoff_period: str = field(default="10 mins", kw_only=True)
    state: ScheduledState = field(default="ENABLED", kw_only=True)


@dataclass(eq=False)
class Funnel(Component):
    """A funnel merges connections."""

    role: Role = field(default="main", kw_only=True)


@dataclass(eq=False)
class Port(Component):
    """An input or output port of a process group."""

    kind: Literal["INPUT_PORT", "OUTPUT_PORT"] = field(kw_only=True)
    role: Role = field(default="main", kw_only=True)
    concurrent_tasks: int = field(default=1, kw_only=True)


@dataclass(eq=False)
class Label(Component):
    """A text label on the canvas; laid out above the group's components."""

    text: str = field(kw_only=True)
    width: float = field(default=400.0, kw_only=True)
    height: float = field(default=60.0, kw_only=True)


Endpoint = Union[Processor, Funnel, Port, str]


@dataclass(eq=False)
class Connection:
    """A queue from `source` to `destination` for the selected relationships.

    An endpoint is a component of the same group, a port of a child group, or a name
    (`"Component"` or `"Child group/Port"`) resolved when the flow is compiled.
    """

    source: Endpoint
    destination: Endpoint
    relationships: tuple[str, ...] = ()
    name: str = ""
    back_pressure_objects: int = 10000
    back_pressure_size: str = "1 GB"
    expiration: str = "0 sec"
    prioritizers: tuple[str, ...] = ()
    load_balance: LoadBalanceStrategy = "DO_NOT_LOAD_BALANCE"
    partitioning_attribute: str = ""
    comments: str = ""


@dataclass(eq=False)
class ProcessGroup(Component):
    """A process group: components, connections, child groups and an optional parameter context."""

    processors: list[Processor] = field(default_factory=list, kw_only=True)
    services: list[ControllerService] = field(default_factory=list, kw_only=True)
    funnels: list[Funnel] = field(default_factory=list, kw_only=True)
    ports: list[Port] = field(default_factory=list, kw_only=True)
    labels: list[Label] = field(default_factory=list, kw_only=True)
    groups: list[ProcessGroup] = field(default_factory=list, kw_only=True)
    connections: list[Connection] = field(default_factory=list, kw_only=True)
    parameter_context: ParameterContext | None = field(default=None, kw_only=True)
    flowfile_concurrency: Literal["UNBOUNDED", "SINGLE_FLOWFILE_PER_NODE", "SINGLE_BATCH_PER_NODE"] = field(
        default="UNBOUNDED", kw_only=True
    )
    outbound_policy: Literal["STREAM_WHEN_AVAILABLE", "BATCH_OUTPUT"] = field(
        default="STREAM_WHEN_AVAILABLE", kw_only=True
    )
    default_back_pressure_objects: int = field(default=10000, kw_only=True)
    default_back_pressure_size: str = field(default="1 GB", kw_only=True)
    default_expiration: str = field(default="0 sec", kw_only=True)
    execution_engine: Literal["STANDARD", "STATELESS", "INHERITED"] = field(default="INHERITED", kw_only=True)

    def add(self, component: _C) -> _C:
        """Add a processor, service, funnel, port, label or child group; returns it for chaining."""
        bucket: list = {
            Processor: self.processors,
            ControllerService: self.services,
            Funnel: self.funnels,
            Port: self.ports,
            Label: self.labels,
            ProcessGroup: self.groups,
        }[_kind_of(component)]
        bucket.append(component)
        return component

    def connect(self, source: Endpoint, destination: Endpoint, *relationships: str, **options: object) -> Connection:
        """Add a connection from `source` to `destination` for `relationships`."""
        connection = Connection(source, destination, tuple(relationships), **options)  # type: ignore[arg-type]
        self.connections.append(connection)
        return connection

    def port(self, name: str) -> Port:
        """This group's port called `name`, for connecting from its parent group."""
        for port in self.ports:
            if port.name == name:
                return port
        raise KeyError(f"process group `{self.name}` has no port `{name}`")

    def walk(self, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], ProcessGroup]]:
        """This group and every group below it, each with its path of names."""
        here = (*path, self.name)
        yield here, self
        for child in self.groups:
            yield from child.walk(here)


@dataclass(eq=False)
class Flow(ProcessGroup):
    """A flow: the top process group of one flow definition, plus what describes it."""

    description: str = field(default="", kw_only=True)

    def parameter_contexts(self) -> dict[str, ParameterContext]:
        """Every parameter context bound anywhere in the flow, by name."""
        found: dict[str, ParameterContext] = {}
        for _, group in self.walk():
            if group.parameter_context is not None:
                found.setdefault(group.parameter_context.name, group.parameter_context)
        return found


_KINDS: tuple[type, ...] = (Processor, ControllerService, Funnel, Port, Label, ProcessGroup)


def _kind_of(component: object) -> type:
    for kind in _KINDS:
        if isinstance(component, kind):
            return kind
    raise TypeError(f"cannot add {type(component).__name__} to a process group")


def endpoint_name(endpoint: Endpoint) -> str:
    return endpoint if isinstance(endpoint, str) else endpoint.name

