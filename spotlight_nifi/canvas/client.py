"""One NiFi's REST API through nipyapi: the few canvas operations a deploy needs.

nipyapi keeps one global endpoint; `NiFi` points it at its URL when made, so a command works with
one NiFi at a time. Errors from the REST layer become `ServiceError`s that name the NiFi and what
was being done.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from spotlight_nifi.errors import ServiceError

T = TypeVar("T")
Kind = Literal["processor", "controller service"]


@dataclass(frozen=True)
class ComponentState:
    """What the canvas says about one component: where it is, whether it is valid, and why not."""

    path: str
    kind: Kind
    type: str
    validation: str
    errors: tuple[str, ...]
    missing_extension: bool
    state: str

    def line(self) -> str:
        why = "extension missing (its NAR is not in this NiFi)" if self.missing_extension else "; ".join(self.errors)
        return f"{self.kind} `{self.path}` ({self.type.rsplit('.', 1)[-1]}): {self.validation} {self.state}: {why}"


@contextmanager
def quiet_http() -> Iterator[None]:
    """urllib3 logs a warning per retried request; while NiFi starts, refused connections are expected."""
    logger = logging.getLogger("urllib3")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


class NiFi:
    """A NiFi reachable at `url` (`http://host:port`), anonymous or as nipyapi is configured."""

    def __init__(self, url: str) -> None:
        import nipyapi  # here: importing it costs a quarter second that other commands need not pay

        self.url = url.rstrip("/").removesuffix("/nifi-api")
        self.api = nipyapi
        with quiet_http():  # it asks NiFi for its version, which may not answer yet
            nipyapi.utils.set_endpoint(f"{self.url}/nifi-api", ssl=self.url.startswith("https"), login=False)

    def _call(self, what: str, call: Callable[[], T]) -> T:
        try:
            with quiet_http():
                return call()
        except Exception as error:  # nipyapi raises urllib3, ApiException, ValueError alike
            raise ServiceError("nifi", f"{what} at `{self.url}` failed: {_reason(error)}") from error

    def version(self) -> str:
        """NiFi's version, which also proves it answers; an unreachable NiFi is a one-line error."""
        about = self._call("asking NiFi for its version", lambda: self.api.nifi.FlowApi().get_about_info(_request_timeout=10))
        return str(about.about.version)

    def root_id(self) -> str:
        return str(self._call("finding the root process group", self.api.canvas.get_root_pg_id))

    def child_group(self, name: str) -> Any | None:
        """The process group called `name` directly under the root, if any."""
        root = self.root_id()
        groups = self._call("listing process groups",
                            lambda: self.api.nifi.ProcessGroupsApi().get_process_groups(root).process_groups)
        return next((g for g in groups or [] if g.component.name == name), None)

    def upload(self, definition: str) -> str:
        """Upload a flow definition as a new process group under the root; its id."""
        root = self.root_id()
        group = self._call("uploading a flow definition",
                           lambda: self.api.versioning.import_process_group_definition(root, flow_definition=definition))
        return str(group.id)

    def set_parameters(self, context: str, values: dict[str, tuple[str | None, bool]]) -> None:
        """Give the named context's parameters these (value, sensitive) pairs in one update request.

        Only parameters whose value differs are sent (a sensitive one whenever it has a value: NiFi
        never shows it, only that one is set): NiFi stops and restarts every component that
        references an updated parameter."""
        params = self.api.parameters
        entity = self._call(f"reading parameter context `{context}`",
                            lambda: params.get_parameter_context(context, identifier_type="name", greedy=False))
        if entity is None:
            raise ServiceError("nifi", f"parameter context `{context}` is not on the canvas at `{self.url}`")
        current = {p.parameter.name: p.parameter for p in entity.component.parameters or []}
        changed = {name: (value, sensitive) for name, (value, sensitive) in values.items()
                   if name not in current or bool(current[name].sensitive) != sensitive
                   or (value is not None if sensitive else False) or current[name].value != value}
        if not changed:
            return
        entity.component.parameters = [params.prepare_parameter(name, value, sensitive=sensitive)
                                       for name, (value, sensitive) in sorted(changed.items())]
        self._call(f"updating parameter context `{context}`", lambda: params.update_parameter_context(entity))

    def enable_services(self, group_id: str) -> None:
        self._call("enabling controller services",
                   lambda: self.api.canvas.schedule_all_controllers(group_id, True))

    def start(self, group_id: str) -> None:
        self._call("starting processors", lambda: self.api.canvas.schedule_process_group(group_id, True))

    def stop(self, group_id: str) -> None:
        self._call("stopping processors", lambda: self.api.canvas.schedule_process_group(group_id, False))

    def remove(self, group_id: str) -> None:
        """Stop the group, drop what its queues hold, delete it and the parameter contexts only it used."""
        group = self._call("reading a process group", lambda: self.api.canvas.get_process_group(group_id, "id"))
        context = group.component.parameter_context
        self._call("removing a process group", lambda: self.api.canvas.delete_process_group(group, force=True))
        if context is not None and not self._context_bound(context.id):
            self._call(f"removing parameter context `{context.component.name}`",
                       lambda: self.api.parameters.delete_parameter_context(context.id, identifier_type="id"))

    def _context_bound(self, context_id: str) -> bool:
        entity = self._call("reading a parameter context",
                            lambda: self.api.parameters.get_parameter_context(context_id, identifier_type="id"))
        return bool(entity.component.bound_process_groups)

    def components(self, group_id: str) -> list[ComponentState]:
        """Every processor and controller service under the group, with its validation state."""
        names = self._group_paths(group_id)
        states = []
        for entity in self._call("listing processors", lambda: self.api.canvas.list_all_processors(group_id)):
            c = entity.component
            states.append(ComponentState(f"{names.get(c.parent_group_id, '?')}/{c.name}", "processor", c.type,
                                         c.validation_status or "", tuple(c.validation_errors or ()),
                                         bool(c.extension_missing), c.state or ""))
        for entity in self._call("listing controller services",
                                 lambda: self.api.canvas.list_all_controllers(group_id)):
            c = entity.component
            states.append(ComponentState(f"{names.get(c.parent_group_id, '?')}/{c.name}", "controller service",
                                         c.type, c.validation_status or "", tuple(c.validation_errors or ()),
                                         bool(c.extension_missing), c.state or ""))
        return sorted(states, key=lambda s: (s.path, s.kind))

    def _group_paths(self, group_id: str) -> dict[str, str]:
        """Process group id → its path of names from `group_id` down."""
        top = self._call("reading a process group", lambda: self.api.canvas.get_process_group(group_id, "id"))
        paths = {group_id: top.component.name}
        pending = [group_id]
        while pending:
            parent = pending.pop()
            children = self._call("listing process groups",
                                  lambda: self.api.nifi.ProcessGroupsApi().get_process_groups(parent).process_groups)
            for child in children or []:
                paths[child.id] = f"{paths[parent]}/{child.component.name}"
                pending.append(child.id)
        return paths

    def wait_settled(self, group_id: str, timeout: float = 180.0) -> list[ComponentState]:
        """Poll until no component is still validating or loading its Python code; the final states."""
        deadline = time.monotonic() + timeout
        while True:
            states = self.components(group_id)
            busy = [s for s in states if s.validation == "VALIDATING"
                    or any(marker in error for error in s.errors for marker in _PYTHON_LOADING)]
            if not busy or time.monotonic() > deadline:
                return states
            time.sleep(1.0)


_PYTHON_LOADING = ("Initializing runtime environment", "In the process of loading Processor code")
"""What NiFi says of a Python processor while it builds its environment or loads its code."""


def _reason(error: Exception) -> str:
    """NiFi's own explanation (the response body of a refused request), else the error's first line."""
    body = getattr(error, "body", None)
    if isinstance(body, bytes):
        body = body.decode(errors="replace")
    text = (body or str(error) or type(error).__name__).strip()
    return text.splitlines()[0] if text else type(error).__name__
