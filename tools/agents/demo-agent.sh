#!/bin/sh
# The bundled scripted agent of the demo (tools/demo.sh): real agents need API
# keys, this one does not. It acts its role in the job's workspace and prints
# what `codex exec --json` prints (JSONL), so omx parses it like codex.
# Arguments are ignored; everything comes from the JOB_* environment.
set -eu
say() { printf '{"type":"item.completed","item":{"id":"item_%s","type":"agent_message","text":"%s"}}\n' "$1" "$2"; }
printf '{"type":"thread.started","thread_id":"demo-%s-%s"}\n' "$JOB_TASK_ID" "$JOB_ATTEMPT"
printf '{"type":"turn.started"}\n'
sleep 0.5
case "$JOB_ROLE" in
planner)    say 1 "Plan: read the code, design the flag, implement it, build, verify." ;;
researcher) say 1 "Research: found $(ls -1 "$JOB_WORKDIR" | wc -l) entries in the repository root." ;;
designer)   say 1 "Design: add the flag to the argument parser and print the version." ;;
developer)
  printf 'demo change by %s, attempt %s\n' "$JOB_TASK_ID" "$JOB_ATTEMPT" >> "$JOB_WORKDIR/DEMO_CHANGES.txt"
  printf '{"type":"item.completed","item":{"id":"item_1","type":"file_change","changes":[{"path":"DEMO_CHANGES.txt","kind":"update"}],"status":"completed"}}\n'
  say 2 "Implemented: wrote DEMO_CHANGES.txt." ;;
executor)   say 1 "Executed: the workspace has $(wc -l < "$JOB_WORKDIR/DEMO_CHANGES.txt") change line(s)." ;;
verifier)   say 1 'Verified. ```json {\"status\": \"pass\", \"findings\": []} ```' ;;
esac
printf '{"type":"turn.completed","usage":{"input_tokens":120,"cached_input_tokens":0,"output_tokens":30}}\n'
