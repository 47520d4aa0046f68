"""The conf a local NiFi starts from: unsecured HTTP on loopback only, Python enabled, paths in its own dirs."""

from __future__ import annotations

from pathlib import Path

from spotlight_nifi.stack.nifi_conf import NiFiLayout, properties, url, write

LAYOUT = NiFiLayout(home=Path("/cache/nifi-2.3.0"), work=Path("/run/nifi"), http_port=18080,
                    sensitive_props_key="k" * 24, python_command="/usr/bin/python3")


def test_it_listens_on_loopback_over_plain_http_only() -> None:
    conf = properties(LAYOUT)
    assert (conf["nifi.web.http.host"], conf["nifi.web.http.port"]) == ("127.0.0.1", "18080")
    assert conf["nifi.web.https.host"] == conf["nifi.web.https.port"] == conf["nifi.security.keystore"] == ""
    assert conf["nifi.security.user.authorizer"] == conf["nifi.security.user.login.identity.provider"] == ""
    assert conf["nifi.remote.input.secure"] == "false"


def test_python_processors_are_enabled_and_nars_are_read_from_the_distribution_and_autoload_dir() -> None:
    conf = properties(LAYOUT)
    assert conf["nifi.python.command"] == "/usr/bin/python3"
    assert conf["nifi.python.framework.source.directory"] == "/cache/nifi-2.3.0/python/framework"
    assert conf["nifi.nar.library.directory"] == "/cache/nifi-2.3.0/lib"
    assert conf["nifi.nar.library.autoload.directory"] == "/run/nifi/extensions"
    assert conf["nifi.sensitive.props.key"] == "k" * 24


def test_every_writable_path_is_inside_the_instance_dir() -> None:
    paths = [v for k, v in properties(LAYOUT).items() if v and k.endswith(("directory", ".file", ".dir", ".default"))]
    assert len(paths) > 10 and all(v.startswith("/run/nifi/") for v in paths if not v.startswith("/cache/")), paths
    assert {v for v in paths if v.startswith("/cache/")} == {"/cache/nifi-2.3.0/lib",
                                                             "/cache/nifi-2.3.0/python/framework"}


def test_write_lays_out_the_conf_directory(tmp_path: Path) -> None:
    layout = NiFiLayout(home=tmp_path / "home", work=tmp_path / "work", http_port=1, sensitive_props_key="x" * 24,
                        python_command="python3")
    write(layout)
    assert sorted(p.name for p in layout.conf.iterdir()) == ["logback.xml", "nifi.properties", "state-management.xml"]
    assert "nifi.web.http.port=1\n" in (layout.conf / "nifi.properties").read_text()


def test_overrides_and_extra_conf_files_make_a_secured_node_and_its_url_https(tmp_path: Path) -> None:
    layout = NiFiLayout(home=tmp_path / "home", work=tmp_path / "work", http_port=1, sensitive_props_key="x" * 24,
                        python_command="python3",
                        overrides={"nifi.web.http.port": "", "nifi.web.https.host": "127.0.0.1",
                                   "nifi.web.https.port": "9443", "nifi.cluster.is.node": "true"},
                        conf_files={"state-management.xml": "<stateManagement/>\n", "authorizers.xml": "<authorizers/>\n"})
    assert url(LAYOUT) == "http://127.0.0.1:18080"
    assert url(layout) == "https://127.0.0.1:9443"
    write(layout)
    text = (layout.conf / "nifi.properties").read_text()
    assert "nifi.cluster.is.node=true\n" in text and "nifi.web.http.port=\n" in text
    assert text.count("nifi.web.https.port=") == 1
    assert (layout.conf / "state-management.xml").read_text() == "<stateManagement/>\n"
    assert (layout.conf / "authorizers.xml").read_text() == "<authorizers/>\n"
