#!/usr/bin/env bash
# Schemathesis (v4) against the committed OpenAPI document, authenticated, every operation,
# with the app under gunicorn on a loopback port and a small demo data set.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
export INFLUENCERS_DATABASE_URL="sqlite:///$work/st.db"
export INFLUENCERS_PSEUDONYM_SECRET="schemathesis"
# One key makes every request, and checks send bad keys on purpose: no 429s from our own limits.
export INFLUENCERS_RATE_LIMIT="1000000/minute" INFLUENCERS_AUTH_FAILURE_LIMIT="1000000/minute"
venv/bin/influencers db upgrade >/dev/null
venv/bin/influencers demo --creators 30 >"$work/demo.txt"
key=$(grep '^admin key:' "$work/demo.txt" | awk '{print $3}')
port=$(venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
venv/bin/gunicorn --workers 2 --bind "127.0.0.1:$port" "influencers.app:create_app()" >"$work/gunicorn.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.2; done
PYTHONPATH=.ci SCHEMATHESIS_HOOKS=schemathesis_hooks venv/bin/schemathesis run openapi/openapi.json \
  --url "http://127.0.0.1:$port" \
  -H "Authorization: Bearer $key" \
  --checks not_a_server_error,response_schema_conformance,status_code_conformance \
  --max-examples "${SCHEMATHESIS_MAX_EXAMPLES:-25}" \
  --seed 1 --workers 1 --request-timeout 60 \
  --suppress-health-check all
