#!/bin/sh
# omx-bench's agent (performance.md, scenario `team`): prints what
# `codex exec --json` prints for a one-message turn and exits at once, so a
# team job measures omx's own overhead, not an agent's. Arguments are ignored.
# A job whose task text contains "bench-hold" sleeps first (the recovery
# scenario's running jobs).
case "${JOB_TASK:-}" in *bench-hold*) exec sleep 300 ;; esac
printf '%s\n' \
  "{\"type\":\"thread.started\",\"thread_id\":\"bench-${JOB_TASK_ID:-task}-${JOB_ATTEMPT:-1}\"}" \
  '{"type":"turn.started"}' \
  '{"type":"item.completed","item":{"id":"item_0","type":"agent_message","text":"done"}}' \
  '{"type":"turn.completed","usage":{"input_tokens":42,"cached_input_tokens":0,"output_tokens":7}}'
