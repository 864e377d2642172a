#!/usr/bin/env bash
# Installs what is missing, builds omxd, starts it on the embedded file store
# (state in ./.omx) and runs a demo team job end to end with the bundled
# scripted agent (approval, mailbox, six roles, live events), then keeps
# serving until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
tools/build.sh omxd
listen="${OMX_LISTEN:-127.0.0.1:8080}"
url="http://$listen"
mkdir -p .omx
# A small local repository for the demo job to clone (real jobs clone owner/name from GitHub).
demo_repo="$PWD/.omx/demo-repo"
if [ ! -d "$demo_repo/.git" ]; then
  git init -q -b main "$demo_repo"
  printf 'A demo repository for omx.\n' > "$demo_repo/README.md"
  git -C "$demo_repo" add README.md
  git -C "$demo_repo" -c user.name=omx -c user.email=omx@localhost commit -qm "Initial commit"
fi
# Every role runs the bundled scripted agent (tools/agents/demo-agent.sh), which
# prints what codex prints; real agents need API keys (see the end).
JOB_CLI_BIN="$PWD/tools/agents/demo-agent.sh" ./build/omxd serve --listen "$listen" \
  --state-dir ./.omx/state/jobs --work-root ./.omx/runs --allow-local-repos 2>>.omx/omxd.log &
server=$!
trap 'kill -TERM $server 2>/dev/null; wait $server' INT TERM EXIT
for _ in $(seq 100); do curl -fs "$url/v1/healthz" >/dev/null 2>&1 && break; sleep 0.1; done

echo
echo "== submitting a demo team job that waits for a person's approval"
created=$(curl -fsS -X POST "$url/v1/jobs" -H 'Content-Type: application/json' \
  -d "{\"provider\":\"codex\",\"mode\":\"team\",\"repo\":\"$demo_repo\",\"ref\":\"main\",\"task\":\"Add a --version flag to the CLI\",\"options\":{\"requireApproval\":true,\"team\":{\"parallelTasks\":2}}}")
echo "$created"
id=$(printf '%s' "$created" | python3 -c 'import json,sys; print(json.load(sys.stdin)["jobId"])')
curl -fsS "$url/v1/jobs/$id" | python3 -c 'import json,sys; j=json.load(sys.stdin); print("status:", j["status"], "/ approval:", j["approvalState"])'
echo
echo "== a note to the developer, then approve: the team runs"
curl -fsS -X POST "$url/v1/jobs/$id/team/mailbox" -H 'Content-Type: application/json' \
  -d '{"kind":"instruction","to":"developer","message":"Keep the change small."}' >/dev/null
curl -fsS -X POST "$url/v1/jobs/$id/actions/approve" -H 'Content-Type: application/json' \
  -d '{"comment":"Go ahead"}' >/dev/null
echo
echo "== its live event stream (SSE) until the run ends"
curl -fsS -N "$url/v1/jobs/$id/events" | python3 -c '
import json, sys
for line in sys.stdin:
    if line.startswith("data: "):
        e = json.loads(line[6:])
        if "seq" not in e:  # the closing end event of the stream
            continue
        print("  %4d  %-28s %s" % (e["seq"], e["type"], e["message"]))'
echo
echo "== the result"
curl -fsS "$url/v1/jobs/$id" | python3 -c '
import json, sys
j = json.load(sys.stdin)
print("status:", j["status"], "  tokens:", j["output"]["usage"]["totalTokens"])
for t in j["output"]["tasks"]:
    print("  %-16s %-10s %-10s %s" % (t["id"], t["role"], t["status"], t["summary"]))'
echo "workspace: ./.omx/runs/$id/workspace (DEMO_CHANGES.txt was written by the developer)"
cat <<MSG

omxd keeps serving on $url (state in ./.omx, its log in ./.omx/omxd.log), with
every role played by the bundled demo agent. Try:
  curl $url/v1/monitor/overview
  curl -N $url/v1/jobs/$id/events                   # replay of the demo job
  curl $url/v1/jobs/$id/team/tasks/team-developer/logs
For real agents, stop this server (Ctrl-C) and start it without JOB_CLI_BIN, with
the provider's credentials in the environment (e.g. OPENAI_API_KEY for codex):
  ./build/omxd serve --listen $listen
  curl -X POST $url/v1/jobs -H 'Content-Type: application/json' \\
    -d '{"provider":"codex","mode":"team","repo":"owner/name","ref":"main","task":"Fix the flaky test"}'
Ctrl-C stops the server (gracefully).
MSG
wait $server
