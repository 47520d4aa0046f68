"""One NiFi's REST API through nipyapi: the few canvas operations a deploy needs.

nipyapi keeps one global endpoint; `NiFi` points it at its URL when made, so a command works with
one NiFi at a time. Errors from the REST layer become `ServiceError`s that name the NiFi and what
was being done.
"""

from __future__ import annotations

import json
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

    @property
    def up(self) -> bool:
        """Running (a processor) or enabled (a controller service)."""
        return self.state == _UP[self.kind]

    def line(self) -> str:
        why = "extension missing (its NAR is not in this NiFi)" if self.missing_extension else "; ".join(self.errors)
        return f"{self.kind} `{self.path}` ({self.type.rsplit('.', 1)[-1]}): {self.validation} {self.state}: {why}"


@dataclass(frozen=True)
class Queue:
    """A connection on the canvas: its id there, its identifier in the flow definition, what it holds."""

    id: str
    identifier: str
    path: str
    source_id: str
    source_type: str
    queued: int


@contextmanager
def quiet_http() -> Iterator[None]:
    """urllib3 logs a warning per retried request (while NiFi starts, refused connections are expected);
    nipyapi one per service it could not enable, which a deploy reports itself."""
    loggers = [logging.getLogger(name) for name in ("urllib3", "nipyapi")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels):
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
            raise ServiceError("nifi", f"{what} at `{self.url}` failed: {reason(error)}") from error

    def version(self) -> str:
        """NiFi's version, which also proves it answers; an unreachable NiFi is a one-line error."""
        about = self._call("asking NiFi for its version", lambda: self.api.nifi.FlowApi().get_about_info(_request_timeout=10))
        return str(about.about.version)

    def claim_root(self) -> str | None:
        """Give the signed-in user read and write on the root process group when it has no write
        there but may write policies and users; the identity granted, else None.

        A new secured NiFi gives its initial admin the policies and users, not the root group (NiFi
        seeds those only for a flow that existed when its authorizations were first written), so
        granting them is an admin's first step in the UI; nipyapi's bootstrap takes it."""
        flow = self._call("reading the root process group's permissions", lambda: self.api.nifi.FlowApi().get_flow1("root"))
        if flow.permissions.can_write:
            return None
        user = self._call("reading the signed-in user", lambda: self.api.nifi.FlowApi().get_current_user())
        if user.anonymous or not (user.policies_permissions.can_write and user.tenants_permissions.can_write):
            return None
        self._call(f"granting `{user.identity}` the root process group",
                   lambda: self.api.security.bootstrap_security_policies("nifi"))
        return str(user.identity)

    def root_id(self) -> str:
        return str(self._call("finding the root process group", self.api.canvas.get_root_pg_id))

    def groups(self) -> list[Any]:
        """The process groups directly under the root."""
        root = self.root_id()
        return list(self._call("listing process groups",
                               lambda: self.api.nifi.ProcessGroupsApi().get_process_groups(root).process_groups) or [])

    def child_group(self, name: str) -> Any | None:
        """The process group called `name` directly under the root, if any."""
        return next((g for g in self.groups() if g.component.name == name), None)

    def export(self, group_id: str) -> dict[str, Any]:
        """The group's flow as it is now, in NiFi's flow-definition format ("Download flow definition")."""
        text = self._call("exporting a process group",
                          lambda: self.api.nifi.ProcessGroupsApi().export_process_group(group_id))
        return dict(json.loads(text))

    def replace(self, group_id: str, snapshot: dict[str, Any], timeout: float = 600.0) -> str | None:
        """Replace the group's flow with `snapshot` in place (components keep their ids, queues their
        FlowFiles); None when done, else NiFi's reason for refusing, after which NiFi has rolled back."""
        api = self.api.nifi.ProcessGroupsApi()
        group = self._call("reading a process group", lambda: api.get_process_group(group_id))
        body = {"processGroupRevision": {"version": group.revision.version, "clientId": CLIENT_ID},
                "versionedFlowSnapshot": snapshot}
        request = self._call("asking to replace a process group's flow",
                             lambda: api.initiate_replace_process_group(body=body, id=group_id)).request
        deadline = time.monotonic() + timeout
        try:
            while not request.complete:
                if time.monotonic() > deadline:
                    return f"the replace request was still `{request.state}` after {timeout:.0f} s (cancelled)"
                time.sleep(0.3)
                request = self._call("following a replace request",
                                     lambda: api.get_replace_process_group_request(request.request_id)).request
        finally:
            self._call("closing a replace request",
                       lambda: api.delete_replace_process_group_request(request.request_id))
        return str(request.failure_reason) if request.failure_reason else None

    def queues(self, group_id: str) -> list[Queue]:
        """Every connection under the group, with the FlowFiles it holds."""
        names = self._group_paths(group_id)
        found = []
        for entity in self._call("listing connections", lambda: self.api.canvas.list_all_connections(group_id, True)):
            c = entity.component
            name = f"{c.source.name} → {c.destination.name}" + (f" ({c.name})" if c.name else "")
            found.append(Queue(entity.id, c.versioned_component_id or "", f"{names.get(c.parent_group_id, '?')}/{name}",
                               c.source.id, c.source.type, int(entity.status.aggregate_snapshot.flow_files_queued or 0)))
        return found

    def drop(self, queue: Queue) -> None:
        """Stop what feeds the connection (so nothing new arrives), then drop every FlowFile it holds."""
        if queue.source_type == "PROCESSOR":
            self._call(f"stopping the source of `{queue.path}`",
                       lambda: self.api.canvas.schedule_processor(queue.source_id, False))
        self._call(f"dropping the FlowFiles queued in `{queue.path}`", lambda: self.api.canvas.purge_connection(queue.id))

    def contexts(self) -> set[str]:
        """Names of the parameter contexts on this NiFi."""
        entities = self._call("listing parameter contexts", self.api.parameters.list_all_parameter_contexts)
        return {e.component.name for e in entities or []}

    def upload(self, definition: str) -> str:
        """Upload a flow definition as a new process group under the root; its id."""
        root = self.root_id()
        group = self._call("uploading a flow definition",
                           lambda: self.api.versioning.import_process_group_definition(root, flow_definition=definition))
        return str(group.id)

    def _context(self, context: str) -> Any:
        entity = self._call(f"reading parameter context `{context}`", lambda: self.api.parameters.get_parameter_context(
            context, identifier_type="name", greedy=False))
        if entity is None:
            raise ServiceError("nifi", f"parameter context `{context}` is not on the canvas at `{self.url}`")
        return entity

    def _update(self, context: str, values: dict[str, tuple[str | None, bool]], *, secret: bool = False) -> bool:
        """One update request; False when NiFi refused a secret because it already holds that value."""
        params = self.api.parameters
        entity = self._context(context)
        entity.component.parameters = [params.prepare_parameter(name, value, sensitive=sensitive)
                                       for name, (value, sensitive) in sorted(values.items())]
        try:
            with quiet_http():
                params.update_parameter_context(entity)
        except Exception as error:  # nipyapi raises ValueError for a failed request, ApiException, urllib3 alike
            if secret and any(_ALREADY_SET.format(name) in str(error) for name in values):
                return False
            raise ServiceError("nifi", f"updating parameter context `{context}` at `{self.url}` failed: "
                                       f"{reason(error)}") from error
        return True

    def set_parameters(self, context: str, values: dict[str, tuple[str | None, bool]]) -> list[str]:
        """Give the named context's parameters these (value, sensitive) pairs; the names of those changed.

        Plain parameters whose value differs go in one update request (NiFi stops and restarts every
        component that references one). NiFi never shows a sensitive value, so each one that has a
        value is sent in a request of its own: NiFi 2.3 refuses to set a sensitive parameter to the
        value it already holds while components that use it run (it sees no change, so it does not
        stop them), and that refusal tells us the value is current."""
        current = {p.parameter.name: p.parameter for p in self._context(context).component.parameters or []}

        def differs(name: str, value: str | None, sensitive: bool) -> bool:
            return (name not in current or bool(current[name].sensitive) != sensitive
                    or (value is not None if sensitive else False) or current[name].value != value)

        changed = {name: pair for name, pair in values.items() if differs(name, *pair)}
        plain = {name: pair for name, pair in changed.items() if not pair[1] or pair[0] is None}
        sent = list(plain) if plain and self._update(context, plain) else []
        sent += [name for name, pair in sorted(changed.items())
                 if name not in plain and self._update(context, {name: pair}, secret=True)]
        return sorted(sent)

    def enable_services(self, group_id: str) -> None:
        self._call("enabling controller services",
                   lambda: self.api.canvas.schedule_all_controllers(group_id, True))

    def start(self, group_id: str) -> None:
        """Start the valid processors under the group that are stopped (NiFi refuses to start again a
        ghost it could not start, so the group as a whole is not asked)."""
        stopped = [e for e in self._call("listing processors", lambda: self.api.canvas.list_all_processors(group_id))
                   if e.component.state == "STOPPED" and e.component.validation_status == "VALID"]
        if stopped:
            self._call("starting processors", lambda: self.api.canvas.schedule_components(group_id, True, stopped))

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
        listed: list[tuple[Kind, list[Any]]] = [
            ("processor", self._call("listing processors", lambda: self.api.canvas.list_all_processors(group_id))),
            ("controller service", self._call("listing controller services",
                                              lambda: self.api.canvas.list_all_controllers(group_id)))]
        states = [ComponentState(f"{names.get(c.parent_group_id, '?')}/{c.name}", kind, c.type,
                                 c.validation_status or "", tuple(c.validation_errors or ()), bool(c.extension_missing),
                                 c.state or "")
                  for kind, entities in listed for c in (e.component for e in entities)]
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

    def wait_settled(self, group_id: str, timeout: float = 180.0, *, running: bool = False) -> list[ComponentState]:
        """Poll until no component is still validating or loading its Python code; the final states.

        With `running`, also until every valid processor runs and every valid service is enabled,
        starting the group again while valid processors wait: NiFi starts only the processors that
        are valid when asked, and a Python processor becomes valid once its code has loaded."""
        deadline = time.monotonic() + timeout
        while True:
            states = self.components(group_id)
            busy = [s for s in states if s.validation == "VALIDATING"
                    or any(marker in error for error in s.errors for marker in _PYTHON_LOADING)]
            down = [s for s in states if running and s.validation == "VALID" and not s.up]
            if not (busy or down) or time.monotonic() > deadline:
                return states
            if any(s.kind == "processor" for s in down):
                self.start(group_id)
            time.sleep(0.5)


_ALREADY_SET = "Cannot update parameter '{}' because it is referenced by"
"""NiFi's refusal to re-set a sensitive parameter to its current value while components using it run."""
_UP: dict[Kind, str] = {"processor": "RUNNING", "controller service": "ENABLED"}
CLIENT_ID = "spotlight-nifi"
_PYTHON_LOADING = ("Initializing runtime environment", "In the process of downloading third-party dependencies",
                   "In the process of loading Processor code")
"""What NiFi says of a Python processor while it builds its environment, fetches its dependencies or loads its code."""


def reason(error: Exception) -> str:
    """NiFi's own explanation (the response body of a refused request), else the error's first line."""
    body = getattr(error, "body", None)
    if isinstance(body, bytes):
        body = body.decode(errors="replace")
    text = (body or str(error) or type(error).__name__).strip()
    return text.splitlines()[0] if text else type(error).__name__
