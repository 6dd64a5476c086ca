#!/bin/bash
# Prepares the compose file's Elasticsearch: a certificate authority and the
# node's certificate (made once, kept in the elasticsearch-certs volume),
# then, once the node answers, the role and user handoff connects with.
# Runs as root in the Elasticsearch image.
set -euo pipefail

: "${ELASTIC_PASSWORD:?ELASTIC_PASSWORD must be set}"
: "${ELASTICSEARCH_HANDOFF_PASSWORD:?ELASTICSEARCH_HANDOFF_PASSWORD must be set}"
: "${INDEX_PREFIX:=handoff}"
for password in "$ELASTIC_PASSWORD" "$ELASTICSEARCH_HANDOFF_PASSWORD"; do
  if [[ ${#password} -lt 16 || ! $password =~ ^[A-Za-z0-9._~-]+$ ]]; then
    echo "the Elasticsearch passwords must be at least 16 letters, digits or . _ ~ - (e.g. openssl rand -hex 24)" >&2
    exit 1
  fi
done

certs=config/certs
cd /usr/share/elasticsearch

if [[ ! -f $certs/ca/ca.crt ]]; then
  echo "creating the certificate authority"
  bin/elasticsearch-certutil ca --silent --pem --out $certs/ca.zip
  unzip -q -o $certs/ca.zip -d $certs
  rm $certs/ca.zip
fi
if [[ ! -f $certs/elasticsearch/elasticsearch.crt ]]; then
  echo "creating the node's certificate"
  cat > $certs/instances.yml <<'YAML'
instances:
  - name: elasticsearch
    dns: [elasticsearch, localhost]
    ip: [127.0.0.1]
YAML
  bin/elasticsearch-certutil cert --silent --pem --in $certs/instances.yml \
    --ca-cert $certs/ca/ca.crt --ca-key $certs/ca/ca.key --out $certs/certs.zip
  unzip -q -o $certs/certs.zip -d $certs
  rm $certs/certs.zip $certs/instances.yml
fi
# Elasticsearch runs as uid 1000 in group 0 and reads the node's key through
# the group; handoff (uid 65532) reads only the public CA certificate; the
# CA's key stays root's.
chown -R root:root $certs
find $certs -type d -exec chmod 755 {} +
find $certs -type f -exec chmod 640 {} +
chmod 600 $certs/ca/ca.key
chmod 644 $certs/ca/ca.crt

# es calls the cluster as elastic, prints the answer and fails unless it is
# a success.
es() {
  local status
  status=$(curl -sS -o /tmp/answer -w '%{http_code}' --cacert $certs/ca/ca.crt \
    -u "elastic:$ELASTIC_PASSWORD" -H 'Content-Type: application/json' "$@")
  cat /tmp/answer
  echo
  [[ $status == 2?? ]]
}

echo "waiting for Elasticsearch"
until curl -s --cacert $certs/ca/ca.crt https://elasticsearch:9200 | grep -q 'missing authentication credentials'; do
  sleep 5
done

# The privileges the search backend documents (search/elasticsearch,
# Options.APIKey), on handoff's indices only.
echo "creating the role and user handoff"
es -X PUT https://elasticsearch:9200/_security/role/handoff -d '{
  "cluster": ["monitor", "manage_index_templates"],
  "indices": [{
    "names": ["'"$INDEX_PREFIX"'-*"],
    "privileges": ["create_index", "view_index_metadata", "read", "write"]
  }]
}'
es -X POST https://elasticsearch:9200/_security/user/handoff -d '{
  "password": "'"$ELASTICSEARCH_HANDOFF_PASSWORD"'",
  "roles": ["handoff"],
  "full_name": "handoff"
}'
echo "Elasticsearch is ready for handoff"
