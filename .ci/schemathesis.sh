#!/usr/bin/env bash
# Schemathesis (v4) against the committed OpenAPI document, with the app under gunicorn on a
# loopback port, on PostgreSQL (a fresh schema, migrated: row-level security included), every
# phase and every check (.ci/schemathesis.toml says which are configured away and why), and two
# workspaces with the same demo data as peers for object_level_authorization.
set -euo pipefail
cd "$(dirname "$0")/.."
PG_URL=${CI_POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432/test}
work=$(mktemp -d)
schema="st_$(venv/bin/python -c 'import uuid; print(uuid.uuid4().hex[:12])')"
psql_admin() { venv/bin/python - "$PG_URL" "$1" <<'PY'
import sys, psycopg
with psycopg.connect(sys.argv[1], autocommit=True) as conn:
    conn.execute(sys.argv[2])
PY
}
psql_admin "CREATE SCHEMA \"$schema\""
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  psql_admin "DROP SCHEMA \"$schema\" CASCADE" || true
  rm -rf "$work"
}
trap cleanup EXIT
export INFLUENCERS_DATABASE_URL="$PG_URL?options=-csearch_path%3D$schema"
export INFLUENCERS_PSEUDONYM_SECRET="schemathesis"
# One key makes every request, and checks send bad keys on purpose: no 429s from our own limits.
export INFLUENCERS_RATE_LIMIT="1000000/minute" INFLUENCERS_AUTH_FAILURE_LIMIT="1000000/minute"
venv/bin/influencers db upgrade >/dev/null
venv/bin/influencers demo --workspace brand-a --creators 20 >"$work/a.txt" 2>/dev/null
venv/bin/influencers demo --workspace brand-b --creators 20 >"$work/b.txt" 2>/dev/null
key_a=$(grep '^admin key:' "$work/a.txt" | awk '{print $3}')
key_b=$(grep '^admin key:' "$work/b.txt" | awk '{print $3}')
# Web Fuzzing Commons auth file: the two workspaces' admin keys (the first is the default identity).
cat >"$work/auth.json" <<JSON
{"auth": [
  {"name": "brand-a", "fixedHeaders": [{"name": "Authorization", "value": "Bearer $key_a"}]},
  {"name": "brand-b", "fixedHeaders": [{"name": "Authorization", "value": "Bearer $key_b"}]}
]}
JSON
export SCHEMATHESIS_WFC_AUTH="$work/auth.json"
port=$(venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
venv/bin/gunicorn --workers 2 --bind "127.0.0.1:$port" "influencers.app:create_app()" >"$work/gunicorn.log" 2>&1 &
pid=$!
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.2; done
status=0
PYTHONPATH=.ci SCHEMATHESIS_HOOKS=schemathesis_hooks venv/bin/schemathesis --config-file .ci/schemathesis.toml \
  run openapi/openapi.json --url "http://127.0.0.1:$port" \
  --max-examples "${SCHEMATHESIS_MAX_EXAMPLES:-10}" || status=$?
if grep -q "Traceback" "$work/gunicorn.log"; then
  # head closing the pipe early must not turn the run's status into 141 (set -e, pipefail).
  echo "== the server logged tracebacks:"; { grep -B2 -A25 "Traceback" "$work/gunicorn.log" || true; } | head -150 || true
fi
exit $status
