"""Talking to a secured NiFi (a NiFi cluster rendered by `infra render`): a client certificate.

A secured NiFi cluster signs users in by client certificate (`spotlight-nifi infra certs` issues
the admin's as a PKCS12 file) and presents node certificates from its own CA, which the client
must trust. nipyapi's NiFi configuration is global, so `use` sets it for every call after it:
`deploy`, `status`, `diff` and the runtime manifest of `build`/`validate`.
"""

from __future__ import annotations

import ssl
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from spotlight_nifi.config import Settings
from spotlight_nifi.errors import ConfigError

KEYSTORE = "NIFI_CLIENT_KEYSTORE"
PASSWORD = "NIFI_CLIENT_KEYSTORE_PASSWORD"
CA_CERT = "NIFI_CA_CERT"


@dataclass(frozen=True)
class ClientCertificate:
    """A NiFi user's key and certificate, and the CA that issued the NiFi's own certificates."""

    key_pem: bytes
    chain_pem: bytes
    ca_file: Path | None

    @classmethod
    def from_pkcs12(cls, data: bytes, password: str, ca_file: Path | None = None) -> ClientCertificate:
        """From a PKCS12 keystore as `infra certs` writes it; ValueError when it does not open or holds no key."""
        key, cert, chain = pkcs12.load_key_and_certificates(data, password.encode())
        if key is None or cert is None:
            raise ValueError("it holds no key and certificate")
        key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
        return cls(key_pem, b"".join(c.public_bytes(serialization.Encoding.PEM) for c in [cert, *chain]), ca_file)

    def context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=str(self.ca_file) if self.ca_file else None)
        with tempfile.TemporaryDirectory() as private:  # the ssl module loads a chain only from files
            cert, key = Path(private) / "cert.pem", Path(private) / "key.pem"
            cert.write_bytes(self.chain_pem)
            key.touch(mode=0o600)
            key.write_bytes(self.key_pem)
            context.load_cert_chain(cert, key)
        return context


def _path(settings: Settings, key: str, environment: str | None) -> Path | None:
    value = settings.get(key, environment=environment)
    if value is None:
        return None
    path = Path(value).expanduser()
    if not path.is_file():
        raise ConfigError(key, f"`{key}` names `{path}`, which is not a file")
    return path


def client_certificate(settings: Settings, environment: str | None = None) -> ClientCertificate | None:
    """The client certificate `NIFI_CLIENT_KEYSTORE` (per environment as `<ENV>_NIFI_CLIENT_KEYSTORE`)
    names, opened with `NIFI_CLIENT_KEYSTORE_PASSWORD` (else `NIFI_PASSWORD`), or None for an
    unsecured NiFi."""
    keystore = _path(settings, KEYSTORE, environment)
    if keystore is None:
        return None
    ca_file = _path(settings, CA_CERT, environment)
    password = settings.get(PASSWORD, environment=environment) or settings.require(
        "NIFI_PASSWORD", hint=f"the password of `{KEYSTORE}`, unless `{PASSWORD}` is set")
    try:
        return ClientCertificate.from_pkcs12(keystore.read_bytes(), password, ca_file)
    except ValueError as error:
        raise ConfigError(KEYSTORE, f"`{KEYSTORE}` (`{keystore}`) does not open with its password: {error}") from error


def use(client: ClientCertificate | None) -> None:
    """Point nipyapi's NiFi configuration at `client` (None: no client certificate, system CAs)."""
    import nipyapi  # here: importing it costs a quarter second that other commands need not pay

    nipyapi.config.nifi_config.ssl_context = client.context() if client else None
    nipyapi.config.nifi_config.ssl_ca_cert = str(client.ca_file) if client and client.ca_file else None
