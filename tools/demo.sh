#!/usr/bin/env bash
# Installs what is missing, builds omxd and the omx client, starts omxd on the embedded file store
# (state in ./.omx) and runs a demo team job end to end with the bundled
# scripted agent (approval, mailbox, six roles, live events), then keeps
# serving until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
tools/build.sh omxd omx
omx=./build/tools/omx/omx
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
echo "== its live event stream (omx watch, over SSE) until the run ends"
echo "   (meanwhile the dashboard shows it: $url/monitor/#/jobs/$id)"
"$omx" --server "$url" watch "$id"
echo
echo "== the result"
"$omx" --server "$url" get "$id"
echo "workspace: ./.omx/runs/$id/workspace (DEMO_CHANGES.txt was written by the developer)"
cat <<MSG

omxd keeps serving on $url (state in ./.omx, its log in ./.omx/omxd.log), with
every role played by the bundled demo agent.
  Dashboard:  $url/monitor/
  API docs:   $url/docs        (OpenAPI document: $url/openapi.json)
  Metrics:    $url/metrics
The command-line client (export OMX_SERVER=$url):
  $omx overview
  $omx get $id
  $omx watch $id       # a replay of the demo job
  $omx logs $id team-developer
For real agents, stop this server (Ctrl-C) and start it without JOB_CLI_BIN, with
the provider's credentials in the environment (e.g. OPENAI_API_KEY for codex):
  ./build/omxd serve --listen $listen
  $omx --server $url submit --repo owner/name --provider codex --mode team "Fix the flaky test" --watch
Ctrl-C stops the server (gracefully).
MSG
wait $server
