"""docker-compose.yml for the development stack, from the service table.

Values are written out (compose reads no template); secrets stay `${KEY:?...}` references that
compose fills from the `.env` beside it at `docker compose up`. A literal `$` is doubled, since
compose interpolates everywhere.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

import yaml

from spotlight_nifi.config import Settings
from spotlight_nifi.infra.services import services
from spotlight_nifi.infra.spec import Port, Service, Target, Task, load_config

HEADER = (
    "Rendered by `spotlight-nifi infra render` from .env: do not edit.\n"
    "Change .env (example.env documents every key) and render again; `spotlight-nifi infra check` finds drift."
)

COMPOSE_TARGET = Target(
    kind="compose",
    peer=lambda service, port: f"{service}:{port.container}",
    host=lambda service: service,
    port=lambda port: port.container,
    own=lambda service, port: f"{service}:{port.container}",
    public=lambda service, port: f"localhost:{port.host}",
    self_host=lambda service, port: service,
)


def config_name(task: Task, path: str) -> str:
    return f"{task.name}-{PurePosixPath(path).name}"


def file_mode(path: str) -> int:
    return 0o555 if path.endswith(".sh") else 0o444


class _Dumper(yaml.SafeDumper):
    """Multi-line strings (scripts, config files) as readable `|` blocks."""


def _str(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style="|" if "\n" in text else None)


_Dumper.add_representer(str, _str)


def _escape(text: str) -> str:
    return text.replace("$", "$$")


def _task(task: Task) -> dict[str, Any]:
    service: dict[str, Any] = {"image": task.image}
    if task.entrypoint:
        service["entrypoint"] = [_escape(part) for part in task.entrypoint]
    if task.command:
        service["command"] = [_escape(part) for part in task.command]
    environment = {name: _escape(value) for name, value in task.env.items()}
    environment |= {name: f"${{{key}:?set {key} in .env}}" for name, key in task.secrets.items()}
    if environment:
        service["environment"] = environment
    if task.volumes:
        service["volumes"] = [f"{task.name}-{name}:{path}" for name, path in task.volumes.items()]
    if task.files:
        service["configs"] = [{"source": config_name(task, path), "target": path, "mode": file_mode(path)}
                              for path in task.files]
    return service


def _published(port: Port) -> str:
    return f"127.0.0.1:{port.host}:{port.container}"


def _service(service: Service) -> dict[str, Any]:
    spec = _task(service.task)
    spec["restart"] = "unless-stopped"
    published = [port for port in service.ports if port.published]
    if published:
        spec["ports"] = [_published(port) for port in published]
    if service.count > 1:
        spec["deploy"] = {"replicas": service.count}
    spec["healthcheck"] = {"test": list(service.healthcheck), "interval": "10s", "timeout": "5s",
                           "retries": 30, "start_period": "30s"}
    depends = {name: {"condition": "service_healthy"} for name in service.after}
    if service.init:
        depends[service.init.name] = {"condition": "service_completed_successfully"}
    if depends:
        spec["depends_on"] = depends
    return spec


def render_compose(settings: Settings) -> str:
    """docker-compose.yml for the development stack; secrets stay `${KEY}` references to `.env`."""
    stack = services(load_config(settings), COMPOSE_TARGET)
    compose_services: dict[str, Any] = {}
    configs: dict[str, Any] = {}
    volumes: dict[str, Any] = {}
    for service in stack:
        compose_services[service.name] = _service(service)
        tasks = [service.task]
        if service.init:
            init = _task(service.init)
            init["restart"] = "no"
            init["depends_on"] = {name: {"condition": "service_healthy"} for name in service.init_after}
            compose_services[service.init.name] = init
            tasks.append(service.init)
        for task in tasks:
            configs |= {config_name(task, path): {"content": _escape(text)} for path, text in task.files.items()}
            volumes |= {f"{task.name}-{name}": {} for name in task.volumes}
    document = {"name": "spotlight-nifi", "services": compose_services, "configs": configs, "volumes": volumes}
    body: str = yaml.dump(document, Dumper=_Dumper, sort_keys=True, default_flow_style=False, width=120,
                          allow_unicode=True)
    return "".join(f"# {line}\n" for line in HEADER.splitlines()) + body
