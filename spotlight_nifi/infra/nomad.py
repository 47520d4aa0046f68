"""nomad/<service>.nomad.hcl: one Nomad job per service, written as a Terraform template.

Terraform renders each file with `templatefile(path, var.settings)` (nomad/terraform/main.tf), so
every `.env` value in a job is a `${KEY}` reference filled from terraform.tfvars.json; only what
shapes the job (which tasks, how many nodes, the files each task gets) is decided here. Literal
`${` (Nomad's own runtime variables) and `%{` are escaped for `templatefile` as `$${` and `%%{`.
Secrets are read by each task from the Nomad variable `nomad/jobs/<job>`, which Terraform writes
from `TF_VAR_*`; they never appear in a job.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from spotlight_nifi.config import Settings
from spotlight_nifi.infra.compose import HEADER, file_mode
from spotlight_nifi.infra.hcl import Block, Heredoc, Item, dumps
from spotlight_nifi.infra.services import services
from spotlight_nifi.infra.spec import InfraConfig, Port, Service, Target, Task, load_config

NOMAD_HEADER = HEADER + (
    "\nA Terraform template: nomad/terraform/main.tf fills in the .env values from terraform.tfvars.json (templatefile)."
    "\nSecrets come from the Nomad variable nomad/jobs/{job} (written by nomad/terraform from TF_VAR_*)."
    "\nData lives in Docker volumes on the client: its docker plugin needs `volumes {{ enabled = true }}`."
)
INIT_RESOURCES = (200, 512)
"""CPU (MHz) and memory (MB) of a prestart task: enough for `airflow db migrate`, the largest."""

NOMAD_TARGET = Target(
    kind="nomad",
    peer=lambda service, port: f'{{{{ range nomadService "{service}" }}}}{{{{ .Address }}}}:{{{{ .Port }}}}{{{{ end }}}}',
    host=lambda service: f'{{{{ range nomadService "{service}" }}}}{{{{ .Address }}}}{{{{ end }}}}',
    port=lambda port: port.host,
    own=lambda service, port: f"${{NOMAD_ADDR_{port.label}}}",
    public=lambda service, port: f"${{NOMAD_ADDR_{port.label}}}",
    self_host=lambda service, port: f'{{{{ env "NOMAD_IP_{port.label}" }}}}',
)

_PLACEHOLDER = re.compile("\ue000([A-Z0-9_]+)\ue001")


def template(text: str) -> str:
    """`text` as a `templatefile` template: literal `${`/`%{` escaped, placeholders as `${KEY}`."""
    return _PLACEHOLDER.sub(r"${\1}", text.replace("${", "$${").replace("%{", "%%{"))


def _resources(cpu: int, memory: int) -> Block:
    return Block("resources", (), [("cpu", cpu), ("memory", memory)])


def _task(task: Task, job: str, ports: tuple[Port, ...]) -> Block:
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
                                    ("perms", f"{file_mode(path):o}")]) for path, text in task.files.items()]
    return Block("task", (task.name,), body)


def _group(service: Service) -> Block:
    first = service.ports[0]
    check: list[Item] = [("type", "http" if first.check_path else "tcp")]
    if first.check_path:
        check.append(("path", first.check_path))
    check += [("interval", "10s"), ("timeout", "5s")]
    group: list[Item] = [
        ("count", service.count),
        Block("network", (), [Block("port", (port.label,), [("static", port.host), ("to", port.container)])
                              for port in service.ports]),
        Block("service", (), [("name", service.name), ("provider", "nomad"), ("port", first.label),
                              Block("check", (), check)]),
        Block("restart", (), [("attempts", 10), ("interval", "30m"), ("delay", "15s"), ("mode", "delay")]),
    ]
    if service.init:
        init = _task(service.init, service.name, ())
        init.body.insert(1, Block("lifecycle", (), [("hook", "prestart"), ("sidecar", False)]))
        init.body.append(_resources(*INIT_RESOURCES))
        group.append(init)
    task = _task(service.task, service.name, service.ports)
    task.body.append(_resources(service.cpu_mhz, service.memory_mb))
    group.append(task)
    return Block("group", (service.name,), group)


def _job(service: Service, config: InfraConfig) -> str:
    job = Block("job", (service.name,), [
        ("datacenters", [config["NOMAD_DATACENTER"]]),
        ("namespace", config["NOMAD_NAMESPACE"]),
        ("type", "service"),
        _group(service),
    ])
    return template(dumps(job, NOMAD_HEADER.format(job=service.name)))


def nomad_services(settings: Settings) -> tuple[Service, ...]:
    """The service table as the Nomad jobs see it (values as placeholders)."""
    return services(load_config(settings, symbolic=True), NOMAD_TARGET)


def render_nomad_jobs(settings: Settings) -> dict[str, str]:
    """One `<service>.nomad.hcl` job template per service, by file name."""
    config = load_config(settings, symbolic=True)
    return {f"{service.name}.nomad.hcl": _job(service, config) for service in services(config, NOMAD_TARGET)}
