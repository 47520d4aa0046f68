"""Pure rendering: `.env` settings → docker-compose.yml, Nomad job files, Terraform variables.

Both targets translate the one service table of `spec.services`. Secrets appear only by name:
compose interpolates `${KEY:?...}` from the `.env` beside it at `docker compose up`; Nomad tasks
read them from the Nomad variable `nomad/jobs/<job>` in a template; Terraform takes them as
sensitive `TF_VAR_<key>` variables and writes those Nomad variables. Output is deterministic
(sorted keys, fixed order) so the committed files are golden files.
"""

from __future__ import annotations

import json
from pathlib import PurePosixPath
from typing import Any

import yaml

from spotlight_nifi.config import Settings
from spotlight_nifi.infra.hcl import Block, Heredoc, Item, dumps
from spotlight_nifi.infra.spec import SECRET_KEYS, InfraConfig, Port, Service, Target, Task, load_config, services

COMPOSE_FILE = "docker-compose.yml"
NOMAD_DIR = "nomad"
TFVARS_FILE = "nomad/terraform/terraform.tfvars.json"

HEADER = (
    "Rendered by `spotlight-nifi infra render` from .env: do not edit.\n"
    "Change .env (example.env documents every key) and render again; `spotlight-nifi infra check` finds drift."
)
NOMAD_HEADER = HEADER + (
    "\nSecrets come from the Nomad variable nomad/jobs/{job} (written by nomad/terraform from TF_VAR_*).\n"
    "Data lives in Docker volumes on the client: its docker plugin needs `volumes {{ enabled = true }}`."
)

COMPOSE_TARGET = Target(
    peer=lambda service, port: f"{service}:{port.container}",
    own=lambda service, port: f"{service}:{port.container}",
    public=lambda service, port: f"localhost:{port.host}",
)
NOMAD_TARGET = Target(
    peer=lambda service, port: f'{{{{ range nomadService "{service}" }}}}{{{{ .Address }}}}:{{{{ .Port }}}}{{{{ end }}}}',
    own=lambda service, port: f"${{NOMAD_ADDR_{port.label}}}",
    public=lambda service, port: f"${{NOMAD_ADDR_{port.label}}}",
)


def secret_variable(key: str) -> str:
    """The Terraform variable that carries the secret `.env` key `key` (supplied as `TF_VAR_<name>`)."""
    return key.lower()


def _config_name(task: Task, path: str) -> str:
    return f"{task.name}-{PurePosixPath(path).name}"


def _mode(path: str) -> int:
    return 0o555 if path.endswith(".sh") else 0o444


class _Dumper(yaml.SafeDumper):
    """Multi-line strings (scripts, config files) as readable `|` blocks."""


def _str(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style="|" if "\n" in text else None)


_Dumper.add_representer(str, _str)


def _escape(text: str) -> str:
    """Compose interpolates `$` everywhere; literal dollars are doubled."""
    return text.replace("$", "$$")


def _compose_task(task: Task) -> dict[str, Any]:
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
        service["configs"] = [{"source": _config_name(task, path), "target": path, "mode": _mode(path)}
                              for path in task.files]
    return service


def _compose_service(service: Service) -> dict[str, Any]:
    spec = _compose_task(service.task)
    spec["restart"] = "unless-stopped"
    published = [port for port in service.ports if port.published]
    if published:
        spec["ports"] = [f"127.0.0.1:{port.host}:{port.container}" for port in published]
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
        compose_services[service.name] = _compose_service(service)
        tasks = [service.task]
        if service.init:
            init = _compose_task(service.init)
            init["restart"] = "no"
            init["depends_on"] = {name: {"condition": "service_healthy"} for name in service.init_after}
            compose_services[service.init.name] = init
            tasks.append(service.init)
        for task in tasks:
            configs |= {_config_name(task, path): {"content": _escape(text)} for path, text in task.files.items()}
            volumes |= {f"{task.name}-{name}": {} for name in task.volumes}
    document = {"name": "spotlight-nifi", "services": compose_services, "configs": configs, "volumes": volumes}
    body: str = yaml.dump(document, Dumper=_Dumper, sort_keys=True, default_flow_style=False, width=120)
    return "".join(f"# {line}\n" for line in HEADER.splitlines()) + body


def _nomad_task(task: Task, job: str, ports: tuple[Port, ...]) -> Block:
    config: list[Item] = [("image", task.image)]
    if ports:
        config.append(("ports", [port.label for port in ports]))
    if task.entrypoint:
        config.append(("entrypoint", list(task.entrypoint)))
    if task.command:
        config.append(("args", list(task.command)))
    config += [Block("mount", (), [("type", "volume"), ("source", f"spotlight-{task.name}-{name}"), ("target", path)])
               for name, path in task.volumes.items()]
    config += [Block("mount", (), [("type", "bind"), ("source", f"local/{PurePosixPath(path).name}"),
                                   ("target", path), ("readonly", True)]) for path in task.files]
    body: list[Item] = [("driver", "docker"), Block("config", (), config)]
    static = {name: value for name, value in task.env.items() if "{{" not in value}
    if static:
        body.append(Block("env", (), list(static.items())))
    templated = [f"{name}={value}" for name, value in task.env.items() if "{{" in value]
    if task.secrets:
        templated += [f'{{{{ with nomadVar "nomad/jobs/{job}" }}}}',
                      *(f"{name}={{{{ .{key} }}}}" for name, key in task.secrets.items()), "{{ end }}"]
    if templated:
        body.append(Block("template", (), [("data", Heredoc("".join(f"{line}\n" for line in templated))),
                                           ("destination", "secrets/env"), ("env", True)]))
    body += [Block("template", (), [("data", Heredoc(text)), ("destination", f"local/{PurePosixPath(path).name}"),
                                    ("perms", f"{_mode(path):o}")]) for path, text in task.files.items()]
    return Block("task", (task.name,), body)


def _nomad_job(service: Service, config: InfraConfig) -> str:
    first = service.ports[0]
    check: list[Item] = [("type", "http" if first.check_path else "tcp")]
    if first.check_path:
        check.append(("path", first.check_path))
    check += [("interval", "10s"), ("timeout", "5s")]
    group: list[Item] = [
        ("count", 1),
        Block("network", (), [Block("port", (port.label,), [("static", port.host), ("to", port.container)])
                              for port in service.ports]),
        Block("service", (), [("name", service.name), ("provider", "nomad"), ("port", first.label),
                              Block("check", (), check)]),
        Block("restart", (), [("attempts", 10), ("interval", "30m"), ("delay", "15s"), ("mode", "delay")]),
    ]
    if service.init:
        init = _nomad_task(service.init, service.name, ())
        init.body.insert(1, Block("lifecycle", (), [("hook", "prestart"), ("sidecar", False)]))
        group.append(init)
    task = _nomad_task(service.task, service.name, service.ports)
    task.body.append(Block("resources", (), [("cpu", service.cpu_mhz), ("memory", service.memory_mb)]))
    group.append(task)
    job = Block("job", (service.name,), [
        ("datacenters", [config["NOMAD_DATACENTER"]]),
        ("namespace", config["NOMAD_NAMESPACE"]),
        ("type", "service"),
        Block("group", (service.name,), group),
    ])
    return dumps(job, NOMAD_HEADER.format(job=service.name))


def render_nomad_jobs(settings: Settings) -> dict[str, str]:
    """One `<service>.nomad.hcl` job per service, by file name."""
    config = load_config(settings)
    return {f"{service.name}.nomad.hcl": _nomad_job(service, config) for service in services(config, NOMAD_TARGET)}


def _job_secrets(stack: tuple[Service, ...]) -> dict[str, list[str]]:
    """For each Nomad job, the secret `.env` keys its Nomad variable must hold."""
    needed = {s.name: sorted({*s.task.secrets.values(), *(s.init.secrets.values() if s.init else ())}) for s in stack}
    return {job: keys for job, keys in needed.items() if keys}


def render_terraform_vars(settings: Settings) -> str:
    """terraform.tfvars.json: every non-secret variable; secrets are `TF_VAR_<key>` (see `secret_variables`)."""
    config = load_config(settings)
    stack = services(config, NOMAD_TARGET)
    values = {
        "nomad_address": config["NOMAD_ADDR"],
        "nomad_namespace": config["NOMAD_NAMESPACE"],
        "jobs": sorted(service.name for service in stack),
        "job_secrets": _job_secrets(stack),
    }
    return json.dumps(values, indent=2, sort_keys=True) + "\n"


def secret_variables() -> list[str]:
    """The environment variables Terraform needs for the secrets, e.g. `TF_VAR_nifi_password`."""
    return [f"TF_VAR_{secret_variable(key)}" for key in SECRET_KEYS]


def render_all(settings: Settings) -> dict[str, str]:
    """Every rendered file by its path relative to the repository root."""
    files = {COMPOSE_FILE: render_compose(settings), TFVARS_FILE: render_terraform_vars(settings)}
    files |= {f"{NOMAD_DIR}/{name}": text for name, text in render_nomad_jobs(settings).items()}
    return dict(sorted(files.items()))
