"""Push and promote against real Git repositories: a local bare one, and one served over Git's HTTP transport."""

from __future__ import annotations

import json
import os
import re
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from spotlight_nifi.config import Settings
from spotlight_nifi.flow.manifest import RuntimeManifest
from spotlight_nifi.registry import Environment, load_environment
from spotlight_nifi.registry.jackson import dumps
from spotlight_nifi.registry.snapshot import canonical
from spotlight_nifi.stack import cache_dir, maven
from spotlight_nifi.versions import NIFI_GROUP
from tests.availability import unavailable
from tests.cli_run import run_cli
from tests.integration import registry_project as scenario
from tests.integration.registry_project import FLOW, Checkout, git

FILE = "spotlight/Orders-ingest.json"


def git_environment(name: str, url: str) -> Environment:
    return load_environment(name, Settings.load("/nonexistent", environ={}), Path("/nonexistent.yaml"), url=url)


@pytest.fixture
def remote(tmp_path: Path) -> Path:
    path = tmp_path / "registry.git"
    git(tmp_path, "init", "-q", "--bare", str(path))
    return path


@pytest.fixture
def alice(tmp_path: Path, real_manifest: RuntimeManifest) -> Checkout:
    return scenario.new_project(tmp_path / "alice", real_manifest)


@pytest.fixture
def bob(alice: Checkout, tmp_path: Path) -> Checkout:
    clone = alice.clone(tmp_path / "bob", "Bob <bob@example.com>")
    git(clone.root, "config", "user.name", "Bob")
    return clone


def test_push_new_then_unchanged_creates_one_version(alice: Checkout, remote: Path) -> None:
    scenario.push_new_then_unchanged(alice, git_environment("dev", str(remote)))


def test_the_repository_has_the_layout_nifi_git_clients_read(alice: Checkout, remote: Path) -> None:
    version = alice.push(git_environment("dev", str(remote)), "first version").outcomes[0].version
    assert git(remote, "ls-tree", "-r", "--name-only", "dev") == FILE
    assert git(remote, "log", "--format=%H", "dev", "--", FILE) == version.version
    text = git(remote, "show", f"dev:{FILE}")
    document = json.loads(text)
    assert text == dumps(document) and text.startswith('{\n  "externalControllerServices" : { },\n  "flow" : {')
    assert sorted(document) == ["externalControllerServices", "flow", "flowContents", "flowEncodingVersion", "latest",
                                "parameterContexts", "parameterProviders", "snapshotMetadata"]
    assert document["flow"]["identifier"] == "Orders-ingest" and document["flow"]["name"] == FLOW
    assert document["snapshotMetadata"]["author"] == alice.author
    contents = document["flowContents"]
    assert contents["identifier"] == "flow-contents-group" and contents["position"] == {"x": 0.0, "y": 0.0}
    assert {c["groupIdentifier"] for c in contents["controllerServices"]} == {"flow-contents-group"}
    message = git(remote, "log", "-1", "--format=%an <%ae>%n%B", "dev")
    head = git(alice.root, "rev-parse", "HEAD")
    assert message.splitlines() == [alice.author, "first version", "", f"Spotlight-Source-Commit: {head}",
                                    f"Spotlight-Flows: {FLOW}"]


def jdk_21() -> Path | None:
    """A `java` of release 21 or newer with its compiler (NiFi's nifi-api is Java 21 bytecode)."""
    homes = [os.environ.get("JAVA_HOME", ""), *sorted(str(p) for p in Path("/usr/lib/jvm").glob("*"))]
    for home in filter(None, homes):
        java = Path(home) / "bin" / "java"
        if java.is_file() and (java.parent / "javac").is_file():
            shown = subprocess.run([str(java), "-version"], capture_output=True, text=True, check=False).stderr
            major = re.search(r'version "(\d+)', shown)
            if major and int(major.group(1)) >= 21:
                return java
    return None


def test_nifi_reads_the_file_with_its_own_model_and_jackson_lays_it_out_alike(alice: Checkout, remote: Path,
                                                                              tmp_path: Path) -> None:
    java = jdk_21()
    if java is None:
        unavailable("no JDK 21+ with javac (JAVA_HOME or /usr/lib/jvm) to run NiFi's own model")
    alice.push(git_environment("dev", str(remote)), "first version")
    flow_file = tmp_path / "flow.json"
    flow_file.write_text(git(remote, "show", f"dev:{FILE}"), encoding="utf-8")
    jars = maven.resolve("registry-check", [f"{NIFI_GROUP}:nifi-api:{alice.manifest.nifi_version}",
                                            "com.fasterxml.jackson.core:jackson-databind:2.18.3"],
                         cache_dir(Settings.load()) / "registry-check")
    shown = subprocess.run([str(java), "-cp", f"{jars}/*", str(Path(__file__).parent / "java" / "ReadAsNiFi.java"),
                            str(flow_file)], capture_output=True, check=False)
    assert shown.returncode == 0, shown.stderr.decode()[-2000:]
    as_nifi, as_jackson = shown.stdout.decode().split("\0")
    ours = flow_file.read_text(encoding="utf-8")
    assert as_jackson == ours
    model = json.loads(as_nifi)
    assert canonical(model) == canonical(json.loads(ours))
    assert {k: model[k] for k in ("flow", "snapshotMetadata", "latest")} == {k: json.loads(ours)[k] for k in
                                                                           ("flow", "snapshotMetadata", "latest")}


def test_a_push_from_code_without_their_version_is_refused_until_forced(alice: Checkout, bob: Checkout,
                                                                        remote: Path) -> None:
    scenario.conflicting_push_refused_then_forced(alice, bob, git_environment("dev", str(remote)))


def test_two_racing_pushes_one_wins_and_no_version_is_lost(alice: Checkout, bob: Checkout, remote: Path) -> None:
    scenario.racing_pushes(alice, bob, git_environment("dev", str(remote)))


def test_uncommitted_changes_of_another_author_are_not_replaced(alice: Checkout, bob: Checkout, remote: Path) -> None:
    dev = git_environment("dev", str(remote))
    alice.edit(7000, commit=False)
    alice.push(dev, "trying something")
    alice.edit(7500, commit=False)
    assert scenario.created(alice.push(dev, "trying more")) == [True]
    bob.edit(8000)
    with pytest.raises(scenario.RegistryConflict, match="uncommitted changes"):
        bob.push(dev, "bob")


def test_promote_copies_the_dev_version_with_staging_parameters(alice: Checkout, remote: Path) -> None:
    scenario.promote_to_staging(alice, git_environment("dev", str(remote)), git_environment("staging", str(remote)))
    assert sorted(git(remote, "for-each-ref", "--format=%(refname:short)", "refs/heads").split()) == ["dev", "staging"]


class GitHttpBackend(BaseHTTPRequestHandler):
    """Git's smart HTTP transport: each request runs `git http-backend` as a CGI program."""

    backend = ""
    root = ""

    def do_GET(self) -> None:
        self.relay()

    def do_POST(self) -> None:
        self.relay()

    def relay(self) -> None:
        path, _, query = self.path.partition("?")
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {"HTTP_" + k.upper().replace("-", "_"): v for k, v in self.headers.items()}
        env = {**os.environ, **headers, "GIT_PROJECT_ROOT": self.root, "GIT_HTTP_EXPORT_ALL": "1",
               "REMOTE_USER": "tester", "REMOTE_ADDR": "127.0.0.1", "REQUEST_METHOD": self.command,
               "PATH_INFO": path, "QUERY_STRING": query, "CONTENT_TYPE": self.headers.get("Content-Type", ""),
               "CONTENT_LENGTH": str(len(body))}
        output = subprocess.run([self.backend], input=body, env=env, capture_output=True, check=False).stdout
        head, _, payload = output.partition(b"\r\n\r\n")
        fields = dict(line.split(": ", 1) for line in head.decode().split("\r\n") if ": " in line)
        self.send_response(int(fields.pop("Status", "200").split()[0]))
        for key, value in fields.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def http_remote(remote: Path) -> Iterator[str]:
    """`remote` served over Git's smart HTTP transport on 127.0.0.1 (fetch and push)."""
    backend = Path(subprocess.run(["git", "--exec-path"], capture_output=True, text=True, check=True).stdout.strip())
    if not (backend / "git-http-backend").is_file():
        unavailable(f"`git-http-backend` is not in `{backend}`: install Git's full package")
    handler = type("Handler", (GitHttpBackend,), {"backend": str(backend / "git-http-backend"),
                                                  "root": str(remote.parent)})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/{remote.name}"
    server.shutdown()
    server.server_close()


def test_push_over_git_http_transport(alice: Checkout, bob: Checkout, http_remote: str, remote: Path) -> None:
    scenario.conflicting_push_refused_then_forced(alice, bob, git_environment("dev", http_remote))
    assert len(git(remote, "log", "--format=%H", "dev", "--", FILE).split()) == 3


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code, out, err = run_cli(capsys, *args)
    return code, out, " ".join(err.split())


@pytest.fixture
def cli_project(alice: Checkout, remote: Path, real_manifest: RuntimeManifest) -> tuple[Checkout, list[str]]:
    config = alice.root / "environments.yaml"
    config.write_text(f"defaults:\n  url: {remote}\nenvironments:\n  dev: {{}}\n  staging: {{}}\n")
    (alice.root / "manifest.json").write_text(real_manifest.to_json())
    common = ["--flows", str(alice.flows), "--manifest", str(alice.root / "manifest.json"), "--registry-config",
              str(config), "--env-file", str(alice.root / ".env"), "--author", alice.author,
              "--nifi-version", real_manifest.nifi_version]
    return alice, common


def test_cli_push_reports_new_then_unchanged(cli_project: tuple[Checkout, list[str]],
                                             capsys: pytest.CaptureFixture[str]) -> None:
    _, common = cli_project
    code, out, _ = run(["push", "--env", "dev", "-m", "first", *common], capsys)
    assert code == 0 and f"`{FLOW}`: new version `" in out and "1 new version(s), 0 unchanged" in out
    code, out, _ = run(["push", "--env", "dev", "-m", "again", *common], capsys)
    assert code == 0 and "unchanged, no version created" in out and "0 new version(s), 1 unchanged" in out


def test_cli_promote_reports_the_new_staging_version(cli_project: tuple[Checkout, list[str]], remote: Path,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    alice, common = cli_project
    run(["push", "--env", "dev", "-m", "first", *common], capsys)
    monkeypatch.chdir(alice.root)
    (alice.root / ".env.staging").write_text(scenario.STAGING_ENV)
    config = str(alice.root / "environments.yaml")
    promote = ["promote", FLOW, "--from", "dev", "--to", "staging", "--registry-config", config,
               "--author", alice.author]
    code, out, err = run(promote, capsys)
    assert code == 0, err
    assert f"`{FLOW}`: new version `" in out and "in `staging`" in out and "branch `staging`" in out
    assert "Spotlight-Promoted-From: dev " in git(remote, "log", "-1", "--format=%B", "staging")
    code, out, _ = run(promote, capsys)
    assert code == 0 and "unchanged, no version created" in out
    code, out, _ = run(["promote", "Orders-ingest", "--from", "dev", "--to", "staging", "--registry-config", config,
                        "--author", alice.author], capsys)
    assert code == 0 and f"`{FLOW}`: unchanged" in out
    code, _, err = run(["promote", "Nope", "--from", "dev", "--to", "staging", "--registry-config", config], capsys)
    assert code == 1 and "flow `Nope` has no version here: push it first" in err
    code, _, err = run(["promote", FLOW, "--from", "dev", "--to", "dev", "--registry-config", config], capsys)
    assert code == 1 and err == "Error: promote copies between two environments: `--from` and `--to` are both `dev`"


def test_cli_errors_are_one_line_naming_the_fault(cli_project: tuple[Checkout, list[str]], tmp_path: Path,
                                                  remote: Path, capsys: pytest.CaptureFixture[str]) -> None:
    alice, common = cli_project
    code, _, err = run(["push", "--env", "qa", "-m", "x", *common], capsys)
    assert code == 1 and err.startswith("Error: unknown environment `qa`: ")
    assert "defines `dev`, `staging`; add it there or set `QA_FLOW_REGISTRY_URL`" in err
    missing = tmp_path / "nowhere.git"
    code, _, err = run(["push", "--env", "dev", "-m", "x", "--registry", str(missing), *common], capsys)
    assert code == 1 and err.startswith(f"Error: environment `dev` (Git flow registry `{missing}` branch `dev` "
                                        "bucket `spotlight`): cannot fetch from it (")
    assert "git init --bare PATH" in err and "Traceback" not in err
    (alice.flows / "broken.py").write_text(
        "from spotlight_nifi.flow import components as c\nfrom spotlight_nifi.flow.model import Bundle, Flow\n"
        "flow = Flow('Broken')\nflow.add(c.service('Reader', 'org.apache.nifi.json.JsonTreeReader', "
        "'nifi-record-serialization-services-nar', {'schema-access-strategyy': 'infer-schema'}, "
        "bundle=Bundle.nifi('nifi-record-serialization-services-nar', '2.3.0')))\n")
    code, _, err = run(["push", "--env", "dev", "-m", "x", *common], capsys)
    assert code == 1 and err.startswith("Error: flow `Broken` at `Broken/Reader`: unknown property")
    assert git(remote, "branch", "--list") == ""
