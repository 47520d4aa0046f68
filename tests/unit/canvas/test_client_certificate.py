"""Signing in to a secured NiFi: the client certificate named in settings, opened or refused by name."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest
from cryptography import x509

from spotlight_nifi.client_certificate import client_certificate
from spotlight_nifi.config import Settings
from spotlight_nifi.errors import ConfigError
from spotlight_nifi.infra.nifi_tls import CertificateAuthority


@pytest.fixture(scope="module")
def ca() -> CertificateAuthority:
    return CertificateAuthority.create()


def _settings(tmp_path: Path, ca: CertificateAuthority, **environ: str) -> Settings:
    (tmp_path / "admin.p12").write_bytes(ca.client_keystore("admin", "admin-password"))
    (tmp_path / "ca.pem").write_bytes(ca.pem())
    return Settings.load(tmp_path / "missing.env", environ={"NIFI_PASSWORD": "admin-password", **environ})


def test_no_keystore_means_an_unsecured_nifi(tmp_path: Path, ca: CertificateAuthority) -> None:
    assert client_certificate(_settings(tmp_path, ca)) is None


def test_the_keystore_opens_with_nifi_password_and_the_context_carries_it(tmp_path: Path, ca: CertificateAuthority) -> None:
    settings = _settings(tmp_path, ca, PROD_NIFI_CLIENT_KEYSTORE=str(tmp_path / "admin.p12"),
                         NIFI_CA_CERT=str(tmp_path / "ca.pem"))
    assert client_certificate(settings) is None  # only prod has one
    client = client_certificate(settings, "prod")
    assert client is not None
    leaf, issuer = x509.load_pem_x509_certificates(client.chain_pem)
    assert leaf.subject.rfc4514_string() == "CN=admin,OU=NiFi" and issuer == ca.cert
    context = client.context()
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert [c["subject"] for c in context.get_ca_certs()] == [((("organizationalUnitName", "NiFi"),),
                                                               (("commonName", "Spotlight NiFi CA"),))]


def test_a_wrong_password_or_a_missing_file_is_named(tmp_path: Path, ca: CertificateAuthority) -> None:
    wrong = _settings(tmp_path, ca, NIFI_CLIENT_KEYSTORE=str(tmp_path / "admin.p12"),
                      NIFI_CLIENT_KEYSTORE_PASSWORD="not-it")
    with pytest.raises(ConfigError, match="`NIFI_CLIENT_KEYSTORE`.*does not open"):
        client_certificate(wrong)
    missing = _settings(tmp_path, ca, NIFI_CLIENT_KEYSTORE=str(tmp_path / "admin.p12"), NIFI_CA_CERT=str(tmp_path / "nope.pem"))
    with pytest.raises(ConfigError, match="`NIFI_CA_CERT` names .*nope.pem"):
        client_certificate(missing)
