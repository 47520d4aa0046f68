"""`spotlight-nifi deploy`, `status` and `diff` against the real NiFi 2.3.0 and a real Git flow registry.

The flow is the one of `flows/http_ingest.py`, in a temporary project whose module the tests
rewrite to make new versions (a processor setting, a renamed ingress group); each version is
pushed with `spotlight-nifi push` to a local bare Git repository (dev's registry) and deployed
from there by the CLI, in process, as a user runs it. Records POSTed to the HTTP ingress land in
this module's own table of the session's ClickHouse, failures in a fresh failure DB.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from spotlight_nifi import failures
from spotlight_nifi.canvas import DeployRecord, NiFi, detach
from spotlight_nifi.clickhouse import ClickHouse, connect
from spotlight_nifi.clickhouse.tables import prepare_table
from spotlight_nifi.config import Settings
from spotlight_nifi.flow.compile import compile_flow
from spotlight_nifi.flow.loader import discover
from spotlight_nifi.flow.release import release
from spotlight_nifi.registry import Source, load_environment, open_registry, write
from spotlight_nifi.stack import cache_dir
from spotlight_nifi.stack.process import choose_port
from tests.cli_run import run_cli
from tests.integration.http_ingress import post_batch

pytestmark = pytest.mark.integration

FLOW, TABLE, AUTHOR = "Spotlight HTTP ingest", "deploy_events", "Alice <alice@example.com>"
KAFKA_FLOW = "Spotlight ingest"
FLOWS = Path(__file__).resolve().parents[2] / "flows"
INGRESS = f"{FLOW}/HTTP events → {TABLE}"
MODULE = '''from spotlight_nifi.flow.template import HttpIngress, ingest_flow

http_ingest = ingest_flow("Spotlight HTTP ingest", [HttpIngress("events", table="deploy_events"{extra})])
'''
SECRET = "failure-db-secret-never-printed"  # the local PostgreSQL trusts local connections: any password works


run = run_cli


def record(n: int) -> dict[str, Any]:
    return {"id": n, "event": ["view", "click", "buy"][n % 3], "amount": n / 4}


@dataclass(frozen=True)
class Stage:
    """What every test shares: the stack's settings for a fresh failure DB, and this module's table."""

    env: dict[str, str]
    clickhouse: ClickHouse


@pytest.fixture(scope="module")
def stage(stack_settings: Callable[..., Settings], clickhouse_url: str,
          new_database: Callable[[str], str]) -> Iterator[Stage]:
    dsn = new_database("deploy")
    failures.migrate(dsn)
    local = dict(stack_settings().environ)
    database = dict(part.split("=", 1) for part in dsn.split())["dbname"]
    local["FAILURE_DB_JDBC_URL"] = local["FAILURE_DB_JDBC_URL"].rsplit("/", 1)[0] + "/" + database
    clickhouse = connect(clickhouse_url)
    prepare_table(clickhouse, TABLE, [record(n) for n in range(1_000_000, 1_000_010)], create=True, evolve=False)
    yield Stage({**local, "FAILURE_DB_PASSWORD": SECRET}, clickhouse)
    clickhouse.close()


@dataclass
class Project:
    """A flows project whose dev environment is a bare Git repository and the session's NiFi."""

    root: Path
    nifi: NiFi
    port: int
    capsys: pytest.CaptureFixture[str]

    @property
    def common(self) -> list[str]:
        return ["--flows", str(self.root / "flows"), "--registry-config", str(self.root / "environments.yaml"),
                "--env-file", str(self.root / ".env")]

    def write(self, extra: str = "") -> None:
        (self.root / "flows" / "http_ingest.py").write_text(MODULE.format(extra=extra))

    def cli(self, *args: str) -> tuple[int, str, str]:
        return run(self.capsys, *args, *self.common)

    def push(self, message: str) -> str:
        code, out, err = run(self.capsys, "push", "--env", "dev", "-m", message, "--author", AUTHOR, *self.common)
        assert code == 0, err
        return subprocess.run(["git", "-C", str(self.root / "registry.git"), "rev-parse", "dev"],
                              capture_output=True, text=True, check=True).stdout.strip()

    def group(self) -> Any:
        return self.nifi.child_group(FLOW)

    def record(self) -> DeployRecord | None:
        return detach(self.group().component.comments)[1]

    def processors(self) -> dict[str, Any]:
        return {p.component.name: p for p in self.nifi.api.canvas.list_all_processors(self.group().id)}

    def queued(self, connection: str) -> int:
        return sum(q.queued for q in self.nifi.queues(self.group().id) if q.path.endswith(connection))

    def post(self, batch: str, ids: range, timeout: float = 60.0) -> None:
        body = b"".join(json.dumps(record(n)).encode() + b"\n" for n in ids)
        post_batch(f"http://127.0.0.1:{self.port}/events", batch, body, time.monotonic() + timeout)


def eventually(check: Callable[[], bool], what: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"after {timeout:.0f} s: {what}")
        time.sleep(0.5)


@pytest.fixture
def project(tmp_path: Path, stage: Stage, nifi_url: str, monkeypatch: pytest.MonkeyPatch,
            capsys: pytest.CaptureFixture[str]) -> Iterator[Project]:
    """A fresh project at version 1 of the flow (not pushed); the flow's group is removed afterwards."""
    port = choose_port("deploy-test", None)
    env = {**stage.env, "NIFI_URL": nifi_url, "NIFI_HTTP_INGRESS_PORT": str(port)}
    for key in env:
        monkeypatch.delenv(key, raising=False)
        monkeypatch.delenv(f"DEV_{key}", raising=False)
    (tmp_path / "flows").mkdir()
    (tmp_path / ".env").write_text("".join(f"{key}={value}\n" for key, value in env.items()))
    subprocess.run(["git", "init", "-q", "--bare", str(tmp_path / "registry.git")], check=True)
    (tmp_path / "environments.yaml").write_text("defaults:\n  url: registry.git\nenvironments:\n  dev: {}\n")
    project = Project(tmp_path, NiFi(nifi_url), port, capsys)
    project.write()
    yield project
    for group in project.nifi.groups():
        if group.component.name in (FLOW, KAFKA_FLOW):
            project.nifi.remove(group.id)


def test_first_deploy_creates_and_starts_then_an_unchanged_one_does_nothing(project: Project) -> None:
    version = project.push("first")
    code, out, err = project.cli("deploy", "--env", "dev")
    assert code == 0, err
    assert out.startswith(f"`{FLOW}`: created, version `{version[:12]}` from `dev`; 7 of 7 components running")
    assert "failure_db.password" in out and "http.ingress.port" in out and SECRET not in out + err
    states = project.nifi.components(project.group().id)
    assert [s.line() for s in states if s.validation != "VALID" or not s.up] == []
    record = project.record()
    assert record is not None and record.digest.startswith("sha256:")
    assert record == DeployRecord(FLOW, "dev", version, f"Git flow registry `{project.root}/registry.git` branch "
                                                        "`dev` bucket `spotlight`", record.digest)
    assert SECRET not in json.dumps(project.nifi.export(project.group().id))
    ids = {name: p.id for name, p in project.processors().items()}
    code, out, err = project.cli("deploy", "--env", "dev")
    assert code == 0 and out.startswith(f"`{FLOW}`: unchanged, version `{version[:12]}`"), err
    assert {name: p.id for name, p in project.processors().items()} == ids


def test_the_kafka_flow_deploys_with_its_ghosts_named_and_no_local_changes(project: Project) -> None:
    shutil.copy(FLOWS / "spotlight_ingest.py", project.root / "flows")
    project.push("both flows")
    code, out, err = project.cli("deploy", "--env", "dev")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith(f"`{FLOW}`: created") and "7 of 7 components running" in lines[0]
    kafka = lines.index(next(line for line in lines if line.startswith(f"`{KAFKA_FLOW}`: created")))
    ghosts = [line for line in lines[kafka:] if line.startswith("  not running: ")]
    assert len(ghosts) == 4 and all(line.endswith(": extension missing (its NAR is not in this NiFi)")
                                    for line in ghosts)
    assert any(f"controller service `{KAFKA_FLOW}/Kafka` (Kafka3ConnectionService)" in line for line in ghosts)
    assert sum("(ConsumeKafka)" in line for line in ghosts) == 3
    out = project.cli("status", "--env", "dev")[1]
    assert out.count("  local changes: none") == 2, out
    code, out, err = project.cli("deploy", "--env", "dev")
    assert code == 0 and out.count(": unchanged, version `") == 2, err


def test_an_upgrade_keeps_queued_flowfiles_in_place_and_loses_none(project: Project, stage: Stage) -> None:
    project.push("first")
    assert project.cli("deploy", "--env", "dev")[0] == 0
    before = project.processors()
    insert = before[f"Insert into {TABLE}"]
    project.nifi.api.canvas.schedule_processor(insert, False)
    batches = [(f"upgrade-{i}", range(100_000 + 20 * i, 100_020 + 20 * i)) for i in range(5)]
    for batch, ids in batches:
        project.post(batch, ids)
    waiting = f"Cast to column types → Insert into {TABLE}"
    eventually(lambda: project.queued(waiting) == len(batches), f"{len(batches)} FlowFiles queued before Insert")
    project.write(", batch_size=500")
    version = project.push("smaller insert batches")
    code, out, err = project.cli("deploy", "--env", "dev")
    assert code == 0, err
    assert out.startswith(f"`{FLOW}`: upgraded in place, version `{version[:12]}` from `dev`; 7 of 7 components")
    after = project.processors()
    assert {n: p.id for n, p in after.items()} == {n: p.id for n, p in before.items()}
    assert after[f"Insert into {TABLE}"].component.config.properties["Batch Size"] == "500"
    expected = {n for _, ids in batches for n in ids}

    def stored() -> Counter[int]:
        rows = stage.clickhouse.query(f"SELECT id FROM {TABLE} WHERE id BETWEEN 100000 AND 100099")
        return Counter(int(r[0]) for r in rows)

    eventually(lambda: sum(stored().values()) >= len(expected), "every queued record stored")
    time.sleep(2)
    assert set(stored()) == expected and max(stored().values()) == 1
    assert project.queued(waiting) == 0


def test_a_local_edit_is_refused_with_the_diff_until_forced(project: Project) -> None:
    version = project.push("first")
    assert project.cli("deploy", "--env", "dev")[0] == 0
    cast = project.processors()["Cast to column types"]
    edit = {"Sample Size": "50", "ClickHouse Password": "typed-on-the-canvas"}
    project.nifi.api.canvas.update_processor(cast, project.nifi.api.nifi.ProcessorConfigDTO(properties=edit),
                                             auto_stop=True)
    code, out, err = project.cli("status", "--env", "dev")
    assert code == 0 and "  local changes: 1 component(s) changed, deployed version → canvas:" in out, err
    code, out, err = project.cli("deploy", "--env", "dev")
    assert code == 1 and out == ""
    first, *diff = err.strip().splitlines()
    assert first == (f"Error: environment `dev` (NiFi at `{project.nifi.url}`): flow `{FLOW}`: the canvas was "
                     "changed since the last deploy; nothing was deployed: put the change into the flow's code and "
                     f"push it, or pass `--force` to replace it with version `{version[:12]}` from `dev`")
    assert diff == [f"~ processor `{INGRESS}/Cast to column types`",
                    "    property `ClickHouse Password`: `********` → unset",
                    "    property `Sample Size`: `1000` → `50`"]
    assert "typed-on-the-canvas" not in out + err
    assert project.processors()["Cast to column types"].component.config.properties["Sample Size"] == "50"
    code, out, err = project.cli("deploy", "--env", "dev", "--force")
    assert code == 0 and out.startswith(f"`{FLOW}`: upgraded in place"), err
    assert project.processors()["Cast to column types"].component.config.properties["Sample Size"] == "1000"
    assert "  local changes: none" in project.cli("status", "--env", "dev")[1]


def test_a_connection_that_disappears_with_queued_data_blocks_until_drop_queued(project: Project) -> None:
    first = project.push("first")
    assert project.cli("deploy", "--env", "dev")[0] == 0
    project.nifi.api.canvas.schedule_processor(project.processors()["Cast to column types"], False)
    for i in range(3):
        project.post(f"dropped-{i}", range(200_000 + i, 200_001 + i))
    held = "Listen for HTTP batches → Cast to column types"
    eventually(lambda: project.queued(held) == 3, "3 FlowFiles queued before Cast")
    project.write(', name="HTTP events renamed"')
    second = project.push("rename the ingress group")
    code, _, err = project.cli("deploy", "--env", "dev")
    assert code == 1 and " ".join(err.split()) == (
        f"Error: environment `dev` (NiFi at `{project.nifi.url}`): flow `{FLOW}`: version `{second[:12]}` from `dev` "
        f"removes connections that still hold FlowFiles: `{INGRESS}/{held}` (3 FlowFiles); nothing was deployed: "
        "let them drain first, or pass `--drop-queued` to drop those FlowFiles")
    record = project.record()
    assert record is not None and record.version == first and project.queued(held) == 3
    code, out, err = project.cli("deploy", "--env", "dev", "--drop-queued")
    assert code == 0 and out.startswith(f"`{FLOW}`: upgraded in place, version `{second[:12]}`"), err
    assert {q.path.split("/")[1] for q in project.nifi.queues(project.group().id)} == {"HTTP events renamed"}


def test_an_upgrade_nifi_refuses_is_rolled_back_and_the_previous_version_runs(project: Project,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    first = project.push("first")
    assert project.cli("deploy", "--env", "dev")[0] == 0
    project.nifi.api.canvas.schedule_processor(project.processors()["Cast to column types"], False)
    project.post("late", range(300_000, 300_001))
    eventually(lambda: project.queued("Listen for HTTP batches → Cast to column types") == 1, "a FlowFile queued")
    project.write(', name="HTTP events renamed"')
    project.push("rename the ingress group")
    monkeypatch.setattr(NiFi, "queues", lambda self, group_id: [])  # the FlowFile arrives after the check
    code, _, err = project.cli("deploy", "--env", "dev")
    assert code == 1 and "NiFi refused version `" in err and "and rolled back, the previous version is still running: " \
        in " ".join(err.split()) and "has data in the queue" in err
    record = project.record()
    assert record is not None and record.version == first
    states = {s.path.rsplit("/", 1)[1]: s.state for s in project.nifi.components(project.group().id)}
    assert states == {"Listen for HTTP batches": "RUNNING", "Cast to column types": "RUNNING",
                      f"Insert into {TABLE}": "RUNNING", "Annotate failure": "RUNNING", "Write to failure DB": "RUNNING",
                      "JSON reader": "ENABLED", "Failure DB": "ENABLED"}


def test_status_and_diff_compare_code_registry_and_canvas(project: Project) -> None:
    code, out, err = project.cli("status", "--env", "dev")
    assert code == 0, err
    assert out.splitlines() == ["environment `dev`", f"`{FLOW}`", "  code: not pushed", "  registry: no version",
                                "  canvas: not deployed"]
    version = project.push("first")
    assert project.cli("deploy", "--env", "dev")[0] == 0
    out = project.cli("status", "--env", "dev")[1]
    assert "  code: same as the registry's latest" in out and f"  registry: version `{version[:12]}` by `{AUTHOR}`" \
        in out and f"  canvas: version `{version[:12]}` from `dev` (the latest)\n  local changes: none" in out
    project.write(", batch_size=500")
    assert "  code: changed since the registry's latest: push it" in project.cli("status", "--env", "dev")[1]
    change = [f"~ processor `{INGRESS}/Insert into {TABLE}`", "    property `Batch Size`: `10000` → `500`"]
    for against in ("registry", "canvas"):
        code, out, err = project.cli("diff", FLOW, "--env", "dev", "--against", against)
        assert code == 0 and out.splitlines() == change, (against, err)
    project.push("smaller insert batches")
    out = project.cli("status", "--env", "dev")[1]
    assert f"  canvas: version `{version[:12]}` from `dev` (not the latest)" in out
    code, out, _ = project.cli("diff", FLOW, "--env", "dev", "--version", version)
    assert code == 0 and out.splitlines() == change


def one_line(err: str) -> str:
    assert len(err.strip().splitlines()) == 1, err
    return err.strip()


def test_bad_inputs_are_one_line_and_leave_the_canvas_alone(project: Project, tmp_path: Path) -> None:
    code, _, err = project.cli("deploy", "--env", "qa")
    assert code == 1 and one_line(err).startswith("Error: unknown environment `qa`: ")
    code, _, err = project.cli("deploy", "--env", "dev")
    assert code == 1 and one_line(err) == (
        f"Error: environment `dev` (Git flow registry `{project.root}/registry.git` branch `dev` bucket `spotlight`): "
        f"flow `{FLOW}` has no version here: push it first (`spotlight-nifi push \"{FLOW}\" --env dev -m ...`)")
    env_file = project.root / ".env"
    settings = env_file.read_text()
    closed = choose_port("closed", None)
    env_file.write_text(settings + f"DEV_NIFI_URL=http://127.0.0.1:{closed}\n")
    code, _, err = project.cli("deploy", "--env", "dev")
    assert code == 1 and one_line(err).startswith(f"Error: environment `dev` (NiFi at `http://127.0.0.1:{closed}`): "
                                                  "NiFi does not answer (")
    assert one_line(err).endswith("): check `DEV_NIFI_URL` or `NIFI_URL`, or start the local one "
                                  "(`spotlight-nifi dev up nifi`)")
    env_file.write_text(settings)
    config = project.root / "environments.yaml"
    config.write_text(f"defaults:\n  url: {tmp_path / 'nowhere.git'}\nenvironments:\n  dev: {{}}\n")
    code, _, err = project.cli("deploy", "--env", "dev")
    assert code == 1 and "cannot fetch from it" in one_line(err) and "git init --bare PATH" in err
    config.write_text("defaults:\n  url: registry.git\nenvironments:\n  dev: {}\n")
    first = project.push("first")
    assert project.cli("deploy", "--env", "dev")[0] == 0
    project.write(", batch_size=500")
    project.push("smaller insert batches")
    env_file.write_text("".join(line + "\n" for line in settings.splitlines() if "FAILURE_DB_PASSWORD" not in line))
    code, _, err = project.cli("deploy", "--env", "dev")
    assert code == 1 and one_line(err) == (
        f"Error: flow `{FLOW}`: sensitive parameter `failure_db.password` of context `spotlight` needs "
        f"`DEV_FAILURE_DB_PASSWORD` or `FAILURE_DB_PASSWORD` in the environment or `{env_file}`: secrets are never "
        "stored in flow JSON")
    record = project.record()
    assert record is not None and record.version == first
    assert all(s.up for s in project.nifi.components(project.group().id))


def test_components_that_cannot_run_are_named_with_why(project: Project) -> None:
    project.push("first")
    env_file = project.root / ".env"
    env_file.write_text(env_file.read_text() + "DEV_FAILURE_DB_JDBC_DRIVER=/nonexistent/postgresql.jar\n")
    code, out, err = project.cli("deploy", "--env", "dev")
    assert code == 1 and out.startswith(f"`{FLOW}`: created")
    message = one_line(err)
    assert message.startswith(f"Error: environment `dev` (NiFi at `{project.nifi.url}`): deployed, but not running: "
                              f"flow `{FLOW}`: controller service `{FLOW}/Failure DB` (DBCPConnectionPool): INVALID ")
    assert f"flow `{FLOW}`: processor `{INGRESS}/Write to failure DB` (PutDatabaseRecord): INVALID " in message
    assert "/nonexistent/postgresql.jar" in message and message.endswith(
        ": fix the cause (NiFi's bulletins on each component say more) and deploy again")


def test_a_version_that_fails_validation_is_not_deployed(project: Project) -> None:
    settings = Settings.load(project.root / ".env", environ={})
    environment = load_environment("dev", settings, project.root / "environments.yaml")
    built = compile_flow(discover(project.root / "flows")[0].flow, release("2.3.0"))
    insert = next(p for p in built["flowContents"]["processGroups"][0]["processors"] if p["name"].startswith("Insert"))
    insert["properties"]["Batch Sizee"] = insert["properties"].pop("Batch Size")
    write(open_registry(environment, cache_dir(settings)), {FLOW: built}, message="typo", author=AUTHOR,
          source=Source(None, True), repo=project.root)
    code, _, err = project.cli("deploy", "--env", "dev")
    assert code == 1 and one_line(err).startswith(
        f"Error: flow `{FLOW}` at `{INGRESS}/Insert into {TABLE}`: unknown property `Batch Sizee`")
    assert project.group() is None
