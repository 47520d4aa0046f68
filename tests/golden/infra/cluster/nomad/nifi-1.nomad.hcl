# Rendered by `spotlight-nifi infra render` from .env: do not edit.
# Change .env (example.env documents every key) and render again; `spotlight-nifi infra check` finds drift.
# A Terraform template: nomad/terraform/main.tf fills in the .env values from terraform.tfvars.json (templatefile).
# Secrets come from the Nomad variable nomad/jobs/nifi-1 (written by nomad/terraform from TF_VAR_*).
# Data lives in Docker volumes on the client: its docker plugin needs `volumes { enabled = true }`.
job "nifi-1" {
  datacenters = ["${NOMAD_DATACENTER}"]
  namespace   = "${NOMAD_NAMESPACE}"
  type        = "service"

  group "nifi-1" {
    count = 1

    network {
      port "https" {
        static = "${NIFI_HTTPS_PORT}"
        to     = 8443
      }

      port "cluster" {
        static = 11443
        to     = 11443
      }

      port "balance" {
        static = 6342
        to     = 6342
      }
    }

    service {
      name     = "nifi-1"
      provider = "nomad"
      port     = "https"

      check {
        type     = "tcp"
        interval = "10s"
        timeout  = "5s"
      }
    }

    restart {
      attempts = 10
      interval = "30m"
      delay    = "15s"
      mode     = "delay"
    }

    task "nifi-1" {
      driver = "docker"

      config {
        image      = "${NIFI_IMAGE}"
        ports      = ["https", "cluster", "balance"]
        entrypoint = ["bash", "/opt/spotlight/nifi-tls.sh", "/opt/nifi/scripts/start.sh"]

        mount {
          type   = "volume"
          source = "spotlight-nifi-1-conf"
          target = "/opt/nifi/nifi-current/conf"
        }

        mount {
          type   = "volume"
          source = "spotlight-nifi-1-state"
          target = "/opt/nifi/nifi-current/state"
        }

        mount {
          type   = "volume"
          source = "spotlight-nifi-1-database"
          target = "/opt/nifi/nifi-current/database_repository"
        }

        mount {
          type   = "volume"
          source = "spotlight-nifi-1-flowfile"
          target = "/opt/nifi/nifi-current/flowfile_repository"
        }

        mount {
          type   = "volume"
          source = "spotlight-nifi-1-content"
          target = "/opt/nifi/nifi-current/content_repository"
        }

        mount {
          type   = "volume"
          source = "spotlight-nifi-1-provenance"
          target = "/opt/nifi/nifi-current/provenance_repository"
        }

        mount {
          type     = "bind"
          source   = "local/nifi-tls.sh"
          target   = "/opt/spotlight/nifi-tls.sh"
          readonly = true
        }

        mount {
          type     = "bind"
          source   = "local/authorizers.xml"
          target   = "/opt/spotlight/authorizers.xml"
          readonly = true
        }
      }

      env {
        NIFI_WEB_HTTPS_PORT             = "8443"
        NIFI_WEB_PROXY_HOST             = "$${NOMAD_ADDR_https}"
        NIFI_CLUSTER_IS_NODE            = "true"
        NIFI_CLUSTER_NODE_PROTOCOL_PORT = "11443"
        NIFI_ZK_ROOT_NODE               = "/nifi"
        NIFI_ELECTION_MAX_CANDIDATES    = "2"
        NIFI_ELECTION_MAX_WAIT          = "1 min"
        NIFI_NODE_NAME                  = "nifi-1"
        AUTH                            = "tls"
        KEYSTORE_PATH                   = "/opt/nifi/nifi-current/conf/tls/keystore.p12"
        KEYSTORE_TYPE                   = "PKCS12"
        TRUSTSTORE_PATH                 = "/opt/nifi/nifi-current/conf/tls/truststore.p12"
        TRUSTSTORE_TYPE                 = "PKCS12"
        NIFI_SECURITY_USER_AUTHORIZER   = "managed-authorizer"
        INITIAL_ADMIN_IDENTITY          = "CN=${NIFI_USERNAME}, OU=NiFi"
        NIFI_AUTHORIZERS                = "/opt/spotlight/authorizers.xml"
      }

      template {
        data        = <<EOT
NIFI_WEB_HTTPS_HOST={{ env "NOMAD_IP_https" }}
NIFI_CLUSTER_ADDRESS={{ env "NOMAD_IP_cluster" }}
NIFI_CLUSTER_LOAD_BALANCE_HOST={{ env "NOMAD_IP_balance" }}
NIFI_ZK_CONNECT_STRING={{ range nomadService "clickhouse-keeper-1" }}{{ .Address }}{{ end }}:${CLICKHOUSE_KEEPER_PORT},{{ range nomadService "clickhouse-keeper-2" }}{{ .Address }}{{ end }}:${CLICKHOUSE_KEEPER_PORT},{{ range nomadService "clickhouse-keeper-3" }}{{ .Address }}{{ end }}:${CLICKHOUSE_KEEPER_PORT}
{{ with nomadVar "nomad/jobs/nifi-1" }}
NIFI_SENSITIVE_PROPS_KEY={{ .NIFI_SENSITIVE_PROPS_KEY }}
KEYSTORE_PASSWORD={{ .NIFI_TLS_PASSWORD }}
TRUSTSTORE_PASSWORD={{ .NIFI_TLS_PASSWORD }}
NIFI_CA_KEYSTORE={{ .NIFI_CA_KEYSTORE }}
NIFI_CA_PASSWORD={{ .NIFI_CA_PASSWORD }}
{{ end }}
EOT
        destination = "secrets/env"
        env         = true
      }

      template {
        data        = <<EOT
#!/usr/bin/env bash
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
EOT
        destination = "local/nifi-tls.sh"
        perms       = "555"
      }

      template {
        data        = <<EOT
<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<authorizers>
    <userGroupProvider>
        <identifier>file-user-group-provider</identifier>
        <class>org.apache.nifi.authorization.FileUserGroupProvider</class>
        <property name="Users File">./conf/users.xml</property>
        <property name="Initial User Identity 1">CN=${NIFI_USERNAME}, OU=NiFi</property>
        <property name="Initial User Identity 2">CN=nifi-1, OU=NiFi</property>
        <property name="Initial User Identity 3">CN=nifi-2, OU=NiFi</property>
    </userGroupProvider>
    <accessPolicyProvider>
        <identifier>file-access-policy-provider</identifier>
        <class>org.apache.nifi.authorization.FileAccessPolicyProvider</class>
        <property name="User Group Provider">file-user-group-provider</property>
        <property name="Authorizations File">./conf/authorizations.xml</property>
        <property name="Initial Admin Identity">CN=${NIFI_USERNAME}, OU=NiFi</property>
        <property name="Node Identity 1">CN=nifi-1, OU=NiFi</property>
        <property name="Node Identity 2">CN=nifi-2, OU=NiFi</property>
        <property name="Node Group"></property>
    </accessPolicyProvider>
    <authorizer>
        <identifier>managed-authorizer</identifier>
        <class>org.apache.nifi.authorization.StandardManagedAuthorizer</class>
        <property name="Access Policy Provider">file-access-policy-provider</property>
    </authorizer>
</authorizers>
EOT
        destination = "local/authorizers.xml"
        perms       = "444"
      }

      resources {
        cpu    = 1000
        memory = 2048
      }
    }
  }
}
