"""`spotlight-nifi infra certs`: the NiFi cluster's CA kept in `.env`, and the admin's client certificate.

The CA and the passwords it needs are secrets, so they go where every other secret is, `.env`
(or the environment that overrides it); the admin's keystore and the CA's certificate go to
files readable by their owner only. Nothing secret is printed.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from dotenv import set_key

from spotlight_nifi.config import Settings
from spotlight_nifi.errors import ConfigError
from spotlight_nifi.infra.nifi_tls import CertificateAuthority, identity
from spotlight_nifi.infra.spec import load_config

CA_KEYSTORE = "NIFI_CA_KEYSTORE"
CA_PASSWORD = "NIFI_CA_PASSWORD"
TLS_PASSWORD = "NIFI_TLS_PASSWORD"
MIN_PASSWORD = 12


def _password(settings: Settings, key: str) -> str:
    value = settings.require(key, hint="`spotlight-nifi infra certs` makes one")
    if len(value) < MIN_PASSWORD:
        raise ConfigError(key, f"`{key}` is shorter than {MIN_PASSWORD} characters")
    return value


def cluster_ca(settings: Settings) -> CertificateAuthority:
    """The CA a NiFi cluster's nodes issue their certificates from, checked to open and be valid."""
    return CertificateAuthority.from_env(CA_KEYSTORE, settings.get(CA_KEYSTORE, "") or "", _password(settings, CA_PASSWORD))


def check(settings: Settings) -> None:
    """What `infra check` adds for a NiFi cluster: its CA and the nodes' TLS password (nothing for one node)."""
    if load_config(settings).count("NIFI_NODES") > 1:
        _password(settings, TLS_PASSWORD)
        cluster_ca(settings)


@dataclass(frozen=True)
class Issued:
    ca_created: bool
    ca_pem: Path
    admin_keystore: Path
    admin_identity: str


def _owner_only(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    path.write_bytes(data)
    return path


def issue(env_file: Path, out: Path) -> Issued:
    """Make the CA once (kept while it opens), the missing passwords, and a fresh admin keystore
    protected by `NIFI_PASSWORD`, as the browser or `deploy` present it."""
    settings = Settings.load(env_file)
    made = {key: secrets.token_urlsafe(24) for key in (CA_PASSWORD, TLS_PASSWORD) if settings.get(key) is None}
    created = settings.get(CA_KEYSTORE) is None
    if created:
        made[CA_KEYSTORE] = CertificateAuthority.create().keystore(made.get(CA_PASSWORD) or _password(settings, CA_PASSWORD))
    for key, value in made.items():
        set_key(env_file, key, value, quote_mode="never")
    settings = Settings.load(env_file)  # what the nodes will read: the CA must open from it
    ca = cluster_ca(settings)
    admin = settings.require("NIFI_USERNAME")
    keystore = ca.client_keystore(admin, _password(settings, "NIFI_PASSWORD"))
    return Issued(created, _owner_only(out / "nifi-ca.pem", ca.pem()),
                  _owner_only(out / "nifi-admin.p12", keystore), identity(admin))
