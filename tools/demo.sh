#!/usr/bin/env bash
# Installs what is missing, builds omxd, starts it on the embedded file store
# (state in ./.omx), submits a demo job and shows what happened to it, then
# keeps serving until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
tools/build.sh omxd
listen="${OMX_LISTEN:-127.0.0.1:8080}"
url="http://$listen"
mkdir -p .omx
./build/omxd serve --listen "$listen" --state-dir ./.omx/state/jobs --work-root ./.omx/runs 2>>.omx/omxd.log &
server=$!
trap 'kill -TERM $server 2>/dev/null; wait $server' INT TERM EXIT
for _ in $(seq 100); do curl -fs "$url/v1/healthz" >/dev/null 2>&1 && break; sleep 0.1; done

echo
echo "== submitting a demo job (requires approval, so it waits for a person)"
created=$(curl -fsS -X POST "$url/v1/jobs" -H 'Content-Type: application/json' \
  -d '{"provider":"codex","mode":"team","repo":"owner/name","ref":"main","task":"Add a --version flag to the CLI","options":{"requireApproval":true}}')
echo "$created"
id=$(printf '%s' "$created" | python3 -c 'import json,sys; print(json.load(sys.stdin)["jobId"])')
echo
echo "== its team (the default six-role graph)"
curl -fsS "$url/v1/jobs/$id/team" | python3 -c '
import json, sys
team = json.load(sys.stdin)
print("phase:", team["phase"])
for t in team["tasks"]:
    print("  %-16s %-11s %-8s after %s" % (t["id"], t["role"], t["status"], ", ".join(t["dependencies"]) or "-"))'
echo
echo "== a message to the people running it, then cancel"
curl -fsS -X POST "$url/v1/jobs/$id/team/mailbox" -H 'Content-Type: application/json' \
  -d '{"kind":"notice","message":"Demo: cancelling this job"}' >/dev/null
curl -fsS -X POST "$url/v1/jobs/$id/actions/cancel" >/dev/null
echo
echo "== its event stream (SSE, replayed from the log)"
curl -fsS -N "$url/v1/jobs/$id/events" | grep '^event:' | sed 's/^/  /'
cat <<MSG

omxd is serving on $url (state in ./.omx, its log in ./.omx/omxd.log). The team engine that runs agents is
not built yet: jobs are stored, approved, canceled and streamed, but no agent
runs. Try:
  curl -X POST $url/v1/jobs -H 'Content-Type: application/json' \\
    -d '{"provider":"codex","mode":"team","repo":"owner/name","ref":"main","task":"Fix the flaky test"}'
  curl -N $url/v1/jobs/<jobId>/events        # live events
  curl $url/v1/monitor/overview
Ctrl-C stops the server (gracefully).
MSG
wait $server
