"""`spotlight-nifi build`, `validate` and `diff` through the CLI's one error boundary."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from spotlight_nifi.flow.manifest import RuntimeManifest
from spotlight_nifi.flow.property_changes import TARGET_VERSIONS
from spotlight_nifi.versions import NIFI_VERSION
from tests.cli_run import run_cli

VALID = '''
from spotlight_nifi.flow import components as c
from spotlight_nifi.flow.model import Bundle, Flow

flow = Flow("Tiny")
flow.add(c.service("Reader", "org.apache.nifi.json.JsonTreeReader", "nifi-record-serialization-services-nar",
                   {PROPERTY: "infer-schema"}, bundle=Bundle.nifi("nifi-record-serialization-services-nar", "2.3.0")))
'''


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code, out, err = run_cli(capsys, *args)
    return code, out, " ".join(err.split())


@pytest.fixture
def project(tmp_path: Path, real_manifest: RuntimeManifest) -> Path:
    (tmp_path / "flows").mkdir()
    (tmp_path / "manifest.json").write_text(real_manifest.to_json())
    return tmp_path


def write_flow(project: Path, prop: str = "schema-access-strategy") -> None:
    (project / "flows" / "tiny.py").write_text(VALID.replace("PROPERTY", repr(prop)))


def common(project: Path) -> list[str]:
    return ["--flows", str(project / "flows"), "--manifest", str(project / "manifest.json"),
            "--env-file", str(project / ".env")]


def test_build_writes_byte_identical_json(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_flow(project)
    out_dir = project / "out"
    code, out, _ = run(["build", "--out", str(out_dir), *common(project)], capsys)
    assert code == 0 and f"wrote {out_dir / 'tiny.json'}" in out
    first = (out_dir / "tiny.json").read_bytes()
    run(["build", "--out", str(out_dir), *common(project)], capsys)
    assert (out_dir / "tiny.json").read_bytes() == first
    assert json.loads(first)["flowContents"]["name"] == "Tiny"


def test_validate_reports_a_misspelled_property_in_one_line(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_flow(project, "schema-access-strategyy")
    code, out, err = run(["validate", *common(project)], capsys)
    assert code == 1
    assert err == ("Error: flow `Tiny` at `Tiny/Reader`: unknown property `schema-access-strategyy` for "
                   "`org.apache.nifi.json.JsonTreeReader`; did you mean `schema-access-strategy`?")
    assert "Traceback" not in err


def test_build_writes_nothing_when_a_flow_is_invalid(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_flow(project, "nope")
    out_dir = project / "out"
    code, _, _ = run(["build", "--out", str(out_dir), *common(project)], capsys)
    assert code == 1 and not out_dir.exists()


def test_a_flow_module_that_raises_is_one_line_and_debug_shows_the_traceback(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    module = project / "flows" / "broken.py"
    module.write_text("import missing_module_xyz\n")
    code, _, err = run(["validate", *common(project)], capsys)
    assert code == 1
    assert err == (f"Error: flow `{module}`: module raised ModuleNotFoundError: No module named "
                   "'missing_module_xyz' (line 1)")
    code, _, err = run(["--debug", "validate", *common(project)], capsys)
    assert code == 1 and "Traceback (most recent call last)" in err


def test_a_missing_manifest_file_is_named(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_flow(project)
    code, _, err = run(["validate", "--flows", str(project / "flows"), "--manifest", str(project / "none.json")],
                       capsys)
    assert code == 1 and err.startswith(f"Error: runtime manifest `{project / 'none.json'}` cannot be read")


def test_diff_masks_secrets_and_names_changes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from spotlight_nifi.flow.compile import compile_flow
    from spotlight_nifi.flow.template import Topic, ingest_flow

    old = compile_flow(ingest_flow("Shop", [Topic("orders", table="orders")]))
    new = compile_flow(ingest_flow("Shop", [Topic("orders", table="orders", batch_size=500)]))
    (tmp_path / "old.json").write_text(json.dumps(old))
    (tmp_path / "new.json").write_text(json.dumps(new))
    code, out, _ = run(["diff", str(tmp_path / "old.json"), str(tmp_path / "new.json")], capsys)
    assert code == 0
    assert out.splitlines() == ["~ processor `Shop/orders → orders/Insert into orders`",
                                "    property `Batch Size`: `10000` → `500`"]
    code, _, err = run(["diff", str(tmp_path / "old.json"), str(tmp_path / "missing.json")], capsys)
    assert code == 1 and err.startswith(f"Error: flow `{tmp_path / 'missing.json'}`: cannot read flow definition")


def test_a_usage_error_prints_usage_and_exits_2_without_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["diff"], capsys)
    assert code == 2 and "Missing argument 'old'" in err and "Traceback" not in err


GOLDEN_2_3 = Path(__file__).resolve().parents[1] / "golden" / "flows" / "nifi-2.3.0"
FLOWS = Path(__file__).resolve().parents[2] / "flows"


def test_build_for_2_3_0_writes_the_2_3_0_golden_files(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_dir = project / "out"
    code, out, _ = run(["build", "--nifi-version", "2.3.0", "--out", str(out_dir), "--flows", str(FLOWS),
                        "--manifest", str(project / "manifest.json"), "--env-file", str(project / ".env")], capsys)
    assert code == 0, out
    assert sorted(p.name for p in out_dir.iterdir()) == sorted(p.name for p in GOLDEN_2_3.glob("*.json"))
    for path in out_dir.iterdir():
        assert path.read_bytes() == (GOLDEN_2_3 / path.name).read_bytes(), path.name
    assert "2 flow(s) built for NiFi 2.3.0" in out


@pytest.mark.parametrize(("env", "args"), [
    ("NIFI_VERSION=2.3.0\n", []),
    ("NIFI_VERSION=2.12.0\nDEV_NIFI_VERSION=2.3.0\n", ["--environment", "dev"]),
], ids=["env-file", "per-environment"])
def test_the_nifi_version_comes_from_the_env_file(project: Path, capsys: pytest.CaptureFixture[str], env: str,
                                                  args: list[str]) -> None:
    (project / ".env").write_text(env)
    out_dir = project / "out"
    code, out, _ = run(["build", "--out", str(out_dir), "--flows", str(FLOWS), "http_ingest",
                        "--manifest", str(project / "manifest.json"), "--env-file", str(project / ".env"), *args],
                       capsys)
    assert code == 0 and "1 flow(s) built for NiFi 2.3.0" in out
    expected = GOLDEN_2_3 / "spotlight-http-ingest.json"
    assert (out_dir / expected.name).read_bytes() == expected.read_bytes()


def test_an_unknown_nifi_version_is_one_line_naming_it_and_the_known_ones(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_flow(project)
    code, _, err = run(["validate", "--nifi-version", "2.99.0", *common(project)], capsys)
    assert code == 1
    assert err == ("Error: NiFi version `2.99.0` is not a known target (known: " + ", ".join(TARGET_VERSIONS)
                   + f"; default: the pinned {NIFI_VERSION}); a newer release needs its key changes checked into "
                   "spotlight_nifi/flow/property_changes.py first")
