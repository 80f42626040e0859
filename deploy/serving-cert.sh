#!/usr/bin/env bash
# Creates a private CA and a serving certificate for meshql's HTTPS port,
# writes them as a kubernetes.io/tls Secret manifest plus the base64 CA bundle
# for the APIService, and (with --apply) puts both into the cluster.
#
#   deploy/serving-cert.sh [--namespace meshql] [--name meshql]
#                          [--secret NAME-serving-cert] [--out DIR]
#                          [--days 365] [--apply]
#
# --name is the Service's name (the chart's fullname). kube-apiserver dials
# the Service as NAME.NAMESPACE.svc, which is among the certificate's names.
# With Helm instead of --apply:
#   helm install meshql deploy/helm/meshql -n meshql \
#     --set apiService.caBundle="$(cat DIR/cabundle.b64)"
# after `kubectl apply -f DIR/secret.yaml`.
set -euo pipefail

namespace=meshql
name=meshql
secret=""
out=""
days=365
apply=false

usage() { sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
  case "$1" in
    --namespace) namespace="$2"; shift 2 ;;
    --name) name="$2"; shift 2 ;;
    --secret) secret="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --days) days="$2"; shift 2 ;;
    --apply) apply=true; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "serving-cert.sh: unknown argument $1" >&2; usage >&2; exit 2 ;;
  esac
done
secret="${secret:-$name-serving-cert}"
if [ -z "$out" ]; then out="$(mktemp -d)"; fi
mkdir -p "$out"
umask 077

b64() { base64 < "$1" | tr -d '\n'; }

openssl ecparam -name prime256v1 -genkey -noout -out "$out/ca.key"
openssl req -x509 -new -key "$out/ca.key" -sha256 -days 3650 \
  -subj "/CN=$name-ca.$namespace" -out "$out/ca.crt" \
  -extensions v3_ca -config <(cat <<CONF
[req]
distinguished_name = dn
[dn]
[v3_ca]
basicConstraints = critical,CA:TRUE,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
CONF
)

openssl ecparam -name prime256v1 -genkey -noout -out "$out/tls.key.ec"
# PKCS#8, which every TLS stack reads.
openssl pkcs8 -topk8 -nocrypt -in "$out/tls.key.ec" -out "$out/tls.key"
rm -f "$out/tls.key.ec"
openssl req -new -key "$out/tls.key" -subj "/CN=$name.$namespace.svc" -out "$out/tls.csr"
cat > "$out/tls.ext" <<CONF
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:$name,DNS:$name.$namespace,DNS:$name.$namespace.svc,DNS:$name.$namespace.svc.cluster.local
authorityKeyIdentifier = keyid
subjectKeyIdentifier = hash
CONF
openssl x509 -req -in "$out/tls.csr" -CA "$out/ca.crt" -CAkey "$out/ca.key" \
  -CAcreateserial -sha256 -days "$days" -extfile "$out/tls.ext" -out "$out/tls.crt" 2>/dev/null
rm -f "$out/tls.csr" "$out/tls.ext" "$out/ca.srl"

b64 "$out/ca.crt" > "$out/cabundle.b64"
cat > "$out/secret.yaml" <<YAML
apiVersion: v1
kind: Secret
type: kubernetes.io/tls
metadata:
  name: $secret
  namespace: $namespace
  labels:
    app.kubernetes.io/name: meshql
    app.kubernetes.io/part-of: meshql
data:
  tls.crt: $(b64 "$out/tls.crt")
  tls.key: $(b64 "$out/tls.key")
  ca.crt: $(b64 "$out/ca.crt")
YAML

echo "wrote $out/secret.yaml (Secret $namespace/$secret) and $out/cabundle.b64" >&2

if [ "$apply" = true ]; then
  kubectl apply -f "$out/secret.yaml"
  kubectl patch apiservice v1alpha1.metrics.smi-spec.io --type=merge \
    -p "{\"spec\":{\"caBundle\":\"$(cat "$out/cabundle.b64")\"}}"
  echo "CA key kept in $out/ca.key: store it safely or delete it." >&2
fi
