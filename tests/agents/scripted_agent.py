#!/usr/bin/env python3
"""A scripted agent for the team-engine tests.

It reads its script from the job's task text (JSON), records what it saw
(JOB_* variables, its prompt, its process group, its inbox) and prints
codex-style JSONL. The script:

  {"record": DIR,                         # where to record (required)
   "roles": {ROLE: STEP | [STEP, ...]},   # by role; a list is indexed by attempt
   "tasks": {TASK_ID: STEP | [STEP, ...]},# by task id (wins over roles)
   "default": STEP}

A STEP (all optional): sleep (s), exit (code), hang (no output, sleeps long),
ignore_term (ignore SIGTERM), child (start a grandchild in the same group that
sleeps), structured (object printed as a ```json block), message (text),
tokens ([input, output], reported right away), stderr (text),
wait_inbox (s: wait for a line in JOB_INBOX).
Every start and end is appended to DIR/timeline.log under flock, and every
start to DIR/agents.log ("<time> <job> <task> <attempt> <pid> <pgid> <claim
token>"): unlike the per-attempt record, never overwritten.
"""
import fcntl, json, os, signal, subprocess, sys, time

env = os.environ
try:
    script = json.loads(env.get("JOB_TASK", "{}"))
except ValueError:
    script = {}
if not isinstance(script, dict):
    script = {}
task_id, role, attempt = env["JOB_TASK_ID"], env["JOB_ROLE"], int(env["JOB_ATTEMPT"])
record = script.get("record")
step = script.get("tasks", {}).get(task_id) or script.get("roles", {}).get(role) or script.get("default") or {}
if isinstance(step, list):
    step = step[min(attempt, len(step)) - 1] if step else {}


def timeline(what):
    if not record:
        return
    with open(os.path.join(record, "timeline.log"), "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        f.write("%.6f %s %s %s %d\n" % (time.time(), what, env["JOB_ID"], task_id, attempt))
        f.flush()
        fcntl.flock(f, fcntl.LOCK_UN)


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def save(extra):
    if not record:
        return
    seen = {k: v for k, v in env.items() if k.startswith("JOB_") or k == "OMX_CLAIM_TOKEN"}
    seen.update(extra)
    seen["pid"], seen["pgid"] = os.getpid(), os.getpgid(0)
    path = os.path.join(record, "%s-%s-%d.json" % (env["JOB_ID"], task_id, attempt))
    with open(path + ".tmp", "w") as f:
        json.dump(seen, f)
    os.rename(path + ".tmp", path)


def started():
    if not record:
        return
    with open(os.path.join(record, "agents.log"), "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        f.write("%.6f %s %s %d %d %d %s\n" % (time.time(), env["JOB_ID"], task_id, attempt, os.getpid(),
                                              os.getpgid(0), env.get("OMX_CLAIM_TOKEN", "-") or "-"))
        f.flush()
        fcntl.flock(f, fcntl.LOCK_UN)


if step.get("ignore_term"):
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
started()
timeline("start")
save({})
if step.get("child"):
    subprocess.Popen(["sleep", "300"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
if step.get("hang"):
    time.sleep(3600)
emit({"type": "thread.started", "thread_id": "thread-%s-%d" % (task_id, attempt)})
emit({"type": "turn.started"})
if "tokens" in step:
    i, o = step["tokens"]
    emit({"type": "turn.completed", "usage": {"input_tokens": i, "cached_input_tokens": 0, "output_tokens": o}})
inbox = []
if step.get("wait_inbox"):
    deadline = time.time() + step["wait_inbox"]
    while time.time() < deadline and not inbox:
        try:
            with open(env["JOB_INBOX"]) as f:
                inbox = [json.loads(l) for l in f if l.strip()]
        except OSError:
            pass
        time.sleep(0.05)
    save({"inbox": inbox})
time.sleep(step.get("sleep", 0))
if step.get("stderr"):
    sys.stderr.write(step["stderr"] + "\n")
text = step.get("message", "%s %s attempt %d done" % (role, task_id, attempt))
if "structured" in step:
    text += "\n```json\n" + json.dumps(step["structured"]) + "\n```"
emit({"type": "item.completed", "item": {"id": "item_1", "type": "agent_message", "text": text}})
tokens = step.get("tokens", [10, 5])
emit({"type": "turn.completed", "usage": {"input_tokens": tokens[0], "cached_input_tokens": 0, "output_tokens": tokens[1]}})
timeline("end")
sys.exit(step.get("exit", 0))
