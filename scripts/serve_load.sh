#!/usr/bin/env bash
# Loads GET /api/v1/multibot/summary and GET /api/v1/multibot/bots through the
# real `gridbot serve` binary. Needs wrk and curl; starts a throwaway
# `gridbot serve` (fresh data dir), starts five template bots for the demo
# user, then runs wrk three times on each route (2 threads, 32 connections,
# 10 s), printing the load average before each run.
set -e
cd "$(dirname "$0")/.."
cargo build --release --bin gridbot -q
BIN=target/release/gridbot
DIR=$(mktemp -d)
PORT=18733
$BIN serve --data-dir "$DIR" --addr 127.0.0.1:$PORT > "$DIR/serve.out" 2> "$DIR/serve.log" &
PID=$!
trap "kill $PID 2>/dev/null; sleep 1" EXIT
for i in $(seq 1 60); do curl -sf http://127.0.0.1:$PORT/healthz >/dev/null && break; sleep 0.5; done
PW=$(sed -n 's/^password: //p' "$DIR/demo-login.txt")
TOKEN=$(curl -sf -X POST -H 'Content-Type: application/json' -d "{\"username\":\"demo\",\"password\":\"$PW\"}" http://127.0.0.1:$PORT/api/v1/auth/login | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
curl -sf -H "Authorization: Bearer $TOKEN" http://127.0.0.1:$PORT/api/v1/multibot/templates | python3 -c '
import json,sys
seen=set(); out=[]
for t in json.load(sys.stdin):
    if t["symbol"] in seen: continue
    seen.add(t["symbol"]); out.append(str(t["id"]))
print(" ".join(out[:5]))' > "$DIR/tpl"
for id in $(cat "$DIR/tpl"); do
  curl -s -o /dev/null -w "start $id: %{http_code}\n" -X POST -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d "{\"template_id\":$id,\"amount\":\"500\"}" http://127.0.0.1:$PORT/api/v1/multibot/bots
done
sleep 2
curl -sf -H "Authorization: Bearer $TOKEN" http://127.0.0.1:$PORT/api/v1/multibot/summary | python3 -c 'import json,sys; v=json.load(sys.stdin); print("running_bots", v["running_bots"])'
for route in summary bots; do
  for run in 1 2 3; do
    echo "$route run $run, load average: $(cat /proc/loadavg)"
    wrk -t2 -c32 -d10s --latency -H "Authorization: Bearer $TOKEN" http://127.0.0.1:$PORT/api/v1/multibot/$route | grep -E "Requests/sec|50%|99%|Non-2xx"
  done
done
