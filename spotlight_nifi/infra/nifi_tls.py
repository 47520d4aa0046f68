"""The NiFi cluster's own certificate authority, its users' identities and its authorizers.xml.

A NiFi cluster's nodes must trust each other (mutual TLS between nodes, request replication,
load balancing), so every node's certificate is issued by one CA, and each node's certificate must
name the address the others reach it by. On Nomad that address is the client's IP, known only
when the task starts, so each node issues its own certificate at start (`NODE_TLS_SCRIPT`, with
the JDK's keytool in the NiFi image) from the CA keystore it reads as a secret. The CA is made
once by `spotlight-nifi infra certs`, serves only this cluster, and lives in `.env` (base64 of a
PKCS12 file) like every other secret. Users sign in with a client certificate from the same CA.
"""

from __future__ import annotations

import base64
import binascii
import datetime
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from spotlight_nifi.errors import ConfigError

CA_ALIAS = "spotlight-nifi-ca"
"""The CA's entry in its keystore: what keytool -gencert names with `-alias`."""
IDENTITY_UNIT = "NiFi"
CA_DAYS = 3650
CLIENT_DAYS = 825
"""The longest validity browsers accept for a leaf certificate."""


def identity(common_name: str) -> str:
    """The identity NiFi reads from a certificate this module or the node script issues: its
    subject DN as `X500Principal` prints it (RFC 1779, last RDN first, `", "` between)."""
    return f"CN={common_name}, OU={IDENTITY_UNIT}"


def _subject(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, IDENTITY_UNIT),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _pkcs12(name: str, key: ec.EllipticCurvePrivateKey, cert: x509.Certificate, password: str,
            cas: list[x509.Certificate] | None = None) -> bytes:
    """PKCS12 with PBES2/AES-256 and an SHA-256 MAC, which Java 17+ keytool and NiFi open."""
    encryption = (serialization.PrivateFormat.PKCS12.encryption_builder()
                  .kdf_rounds(50000).key_cert_algorithm(pkcs12.PBES.PBESv2SHA256AndAES256CBC)
                  .hmac_hash(hashes.SHA256()).build(password.encode()))
    return pkcs12.serialize_key_and_certificates(name.encode(), key, cert, cas, encryption)


@dataclass(frozen=True)
class CertificateAuthority:
    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate

    @classmethod
    def create(cls, now: datetime.datetime | None = None) -> CertificateAuthority:
        now = now or datetime.datetime.now(datetime.timezone.utc)
        key = ec.generate_private_key(ec.SECP256R1())
        name = _subject("Spotlight NiFi CA")
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=CA_DAYS))
                .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                             data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                             crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
                .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
                .sign(key, hashes.SHA256()))
        return cls(key, cert)

    @classmethod
    def from_env(cls, keystore_key: str, encoded: str, password: str) -> CertificateAuthority:
        """The CA kept in `.env` under `keystore_key`, or a `ConfigError` naming that key."""
        if not encoded:
            raise ConfigError(keystore_key, f"`{keystore_key}` is empty: the NiFi cluster needs its CA; run `spotlight-nifi infra certs`")
        try:
            key, cert, _ = pkcs12.load_key_and_certificates(base64.b64decode(encoded, validate=True), password.encode())
        except (ValueError, binascii.Error) as error:
            raise ConfigError(keystore_key, f"`{keystore_key}` is not a PKCS12 keystore that opens with its password "
                              f"({type(error).__name__}): run `spotlight-nifi infra certs` again") from error
        if not isinstance(key, ec.EllipticCurvePrivateKey) or cert is None:
            raise ConfigError(keystore_key, f"`{keystore_key}` holds no CA key and certificate: run `spotlight-nifi infra certs` again")
        constraints = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
        if not constraints.ca:
            raise ConfigError(keystore_key, f"`{keystore_key}` holds a certificate that is not a CA ({cert.subject.rfc4514_string()})")
        if cert.not_valid_after_utc <= datetime.datetime.now(datetime.timezone.utc):
            raise ConfigError(keystore_key, f"`{keystore_key}`: the CA expired on {cert.not_valid_after_utc:%Y-%m-%d}")
        return cls(key, cert)

    def keystore(self, password: str) -> str:
        """The CA as `.env` holds it: base64 of a PKCS12 keystore with the CA under `CA_ALIAS`."""
        return base64.b64encode(_pkcs12(CA_ALIAS, self.key, self.cert, password)).decode()

    def pem(self) -> bytes:
        """The CA certificate alone, for browsers and clients that must trust the nodes."""
        return self.cert.public_bytes(serialization.Encoding.PEM)

    def client_keystore(self, common_name: str, password: str, now: datetime.datetime | None = None) -> bytes:
        """A client certificate for `identity(common_name)` with the CA, as a browser imports it."""
        now = now or datetime.datetime.now(datetime.timezone.utc)
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (x509.CertificateBuilder().subject_name(_subject(common_name)).issuer_name(self.cert.subject)
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(minutes=5))
                .not_valid_after(min(now + datetime.timedelta(days=CLIENT_DAYS), self.cert.not_valid_after_utc))
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
                .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), critical=False)
                .sign(self.key, hashes.SHA256()))
        return _pkcs12(common_name, key, cert, password, [self.cert])


def authorizers_xml(nodes: list[str], admin: str) -> str:
    """NiFi's file-based authorizer for client-certificate users: every node and the admin are
    users; the nodes get the node policies (proxy, cluster), the admin the initial admin's.

    The image's own variables set at most one node identity and never make it a user, which NiFi
    refuses at start, so the whole file is rendered (the same on every node)."""
    users = [admin, *(identity(node) for node in nodes)]

    def props(pairs: list[tuple[str, str]]) -> str:
        return "".join(f"        <property name={quoteattr(name)}>{escape(value)}</property>\n" for name, value in pairs)

    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        "<authorizers>\n"
        "    <userGroupProvider>\n"
        "        <identifier>file-user-group-provider</identifier>\n"
        "        <class>org.apache.nifi.authorization.FileUserGroupProvider</class>\n"
        + props([("Users File", "./conf/users.xml"),
                 *((f"Initial User Identity {n}", user) for n, user in enumerate(users, start=1))]) +
        "    </userGroupProvider>\n"
        "    <accessPolicyProvider>\n"
        "        <identifier>file-access-policy-provider</identifier>\n"
        "        <class>org.apache.nifi.authorization.FileAccessPolicyProvider</class>\n"
        + props([("User Group Provider", "file-user-group-provider"),
                 ("Authorizations File", "./conf/authorizations.xml"), ("Initial Admin Identity", admin),
                 *((f"Node Identity {n}", identity(node)) for n, node in enumerate(nodes, start=1)),
                 ("Node Group", "")]) +
        "    </accessPolicyProvider>\n"
        "    <authorizer>\n"
        "        <identifier>managed-authorizer</identifier>\n"
        "        <class>org.apache.nifi.authorization.StandardManagedAuthorizer</class>\n"
        + props([("Access Policy Provider", "file-access-policy-provider")]) +
        "    </authorizer>\n"
        "</authorizers>\n"
    )


NODE_TLS_SCRIPT = r"""#!/usr/bin/env bash
# Issues this NiFi node's keystore and truststore from the cluster's CA, then runs the given
# command (the image's start script). Run at every start, so the certificate always names the
# address the node has now (on Nomad, the client's IP).
# In: NIFI_CA_KEYSTORE (base64 PKCS12 with the CA under alias spotlight-nifi-ca), NIFI_CA_PASSWORD,
# KEYSTORE_PATH, TRUSTSTORE_PATH, KEYSTORE_PASSWORD, TRUSTSTORE_PASSWORD, NIFI_NODE_NAME,
# NIFI_CLUSTER_ADDRESS, and optionally NIFI_AUTHORIZERS (a file copied over $NIFI_HOME/conf/authorizers.xml).
set -euo pipefail
for name in NIFI_CA_KEYSTORE NIFI_CA_PASSWORD KEYSTORE_PASSWORD TRUSTSTORE_PASSWORD KEYSTORE_PATH TRUSTSTORE_PATH \
    NIFI_NODE_NAME NIFI_CLUSTER_ADDRESS NIFI_HOME; do
  if [ -z "$(printenv "$name")" ]; then echo "nifi-tls.sh: $name is not set" >&2; exit 1; fi
done
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
umask 077
printf '%s' "$NIFI_CA_KEYSTORE" | base64 -d > "$work/ca.p12"
san="dns:$NIFI_NODE_NAME"
if [[ "$NIFI_CLUSTER_ADDRESS" =~ ^[0-9.]+$ || "$NIFI_CLUSTER_ADDRESS" == *:* ]]; then
  san="$san,ip:$NIFI_CLUSTER_ADDRESS"
elif [ "$NIFI_CLUSTER_ADDRESS" != "$NIFI_NODE_NAME" ]; then
  san="$san,dns:$NIFI_CLUSTER_ADDRESS"
fi
mkdir -p "$(dirname "$KEYSTORE_PATH")" "$(dirname "$TRUSTSTORE_PATH")"
rm -f "$KEYSTORE_PATH" "$TRUSTSTORE_PATH"
keytool -genkeypair -noprompt -alias nifi-key -keyalg EC -groupname secp256r1 -sigalg SHA256withECDSA \
  -dname "CN=$NIFI_NODE_NAME, OU=NiFi" -validity 825 \
  -keystore "$work/node.p12" -storetype PKCS12 -storepass "$KEYSTORE_PASSWORD"
keytool -certreq -alias nifi-key -keystore "$work/node.p12" -storepass "$KEYSTORE_PASSWORD" -file "$work/node.csr"
keytool -gencert -rfc -alias spotlight-nifi-ca -keystore "$work/ca.p12" -storetype PKCS12 -storepass "$NIFI_CA_PASSWORD" \
  -infile "$work/node.csr" -outfile "$work/node.pem" -validity 825 -sigalg SHA256withECDSA \
  -ext "SAN=$san" -ext EKU=serverAuth,clientAuth -ext KU=digitalSignature,keyAgreement
keytool -exportcert -rfc -alias spotlight-nifi-ca -keystore "$work/ca.p12" -storetype PKCS12 \
  -storepass "$NIFI_CA_PASSWORD" -file "$work/ca.pem"
keytool -importcert -noprompt -alias spotlight-nifi-ca -file "$work/ca.pem" \
  -keystore "$work/node.p12" -storepass "$KEYSTORE_PASSWORD"
keytool -importcert -noprompt -alias nifi-key -file "$work/node.pem" -keystore "$work/node.p12" -storepass "$KEYSTORE_PASSWORD"
keytool -importcert -noprompt -alias spotlight-nifi-ca -file "$work/ca.pem" \
  -keystore "$TRUSTSTORE_PATH" -storetype PKCS12 -storepass "$TRUSTSTORE_PASSWORD"
mv "$work/node.p12" "$KEYSTORE_PATH"
if [ -n "$(printenv NIFI_AUTHORIZERS)" ]; then
  cp "$NIFI_AUTHORIZERS" "$NIFI_HOME/conf/authorizers.xml"
fi
exec "$@"
"""
