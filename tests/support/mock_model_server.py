#!/usr/bin/env python3
"""Mock OpenAI Responses API server for end-to-end tests of `codex exec`.

Python 3 standard library only. Listens on 127.0.0.1 and streams
`text/event-stream` answers to `POST /v1/responses` in the shape codex
0.169 consumes (see docs/CODEX_MOCK.md).

Usage:
  python3 mock_model_server.py --port 0 --port-file PATH --script SCENARIO \
      [--log PATH] [--input-tokens N] [--output-tokens N] \
      [--cached-tokens N] [--reasoning-tokens N]

  --port 0        bind an ephemeral port; the bound port is written (as
                  decimal text, newline-terminated) to --port-file, via a
                  temporary file renamed into place, once the server listens.
  --log PATH      one JSON object per request, appended as it arrives:
                  {"n", "method", "path", "headers", "body"} (body parsed as
                  JSON when possible, else text). Useful to see what the
                  client sends.

Scenarios (--script):
  hi        every POST /v1/responses: one assistant message "hi from mock".
  tool      a POST whose input does not end with a function_call_output:
            a function call to codex's shell tool that runs
              echo created-by-codex > hello.txt && ls -la hello.txt
            in the workspace (codex 0.169: tool `exec_command`, arguments
            {"cmd": "..."}; older tool shapes `shell` / `shell_command` are
            chosen automatically when the request's `tools` offers those
            instead). A POST whose input ends with a function_call_output:
            the message "Done: I ran the command and created hello.txt."
  error500  every POST /v1/responses: HTTP 500 with a JSON error body whose
            message is "mock model server: internal error (scenario error500)".

Usage numbers: every completed response reports
  input_tokens=42, input_tokens_details.cached_tokens=0,
  output_tokens=7, output_tokens_details.reasoning_tokens=0,
  total_tokens=49
(overridable with the --*-tokens options). codex's `turn.completed.usage` is
cumulative over the thread, so `hi` yields input 42 / output 7 and `tool`
(two model calls) yields input 84 / output 14.

Other paths: GET /v1/models answers an empty model list; anything else 404
(all logged). SIGTERM and SIGINT shut the server down and exit with 0.
"""

import argparse
import itertools
import json
import os
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOOL_COMMAND = "echo created-by-codex > hello.txt && ls -la hello.txt"
HI_TEXT = "hi from mock"
TOOL_DONE_TEXT = "Done: I ran the command and created hello.txt."
ERROR500_MESSAGE = "mock model server: internal error (scenario error500)"


class Config:
    script = "hi"
    usage = {}
    log_path = None
    log_lock = threading.Lock()
    counter = itertools.count(1)
    ids = itertools.count(1)


def new_id(prefix):
    return "%s_mock%06d" % (prefix, next(Config.ids))


def log_request(entry):
    if not Config.log_path:
        return
    line = json.dumps(entry, sort_keys=True) + "\n"
    with Config.log_lock:
        with open(Config.log_path, "a", encoding="utf-8") as f:
            f.write(line)


def tool_names(body):
    names = []
    for tool in (body or {}).get("tools") or []:
        if isinstance(tool, dict):
            names.append(tool.get("name") or tool.get("type"))
    return names


def last_input_type(body):
    items = (body or {}).get("input")
    if isinstance(items, list) and items and isinstance(items[-1], dict):
        return items[-1].get("type")
    return None


def shell_call_item(body):
    """A function_call item for whichever shell tool the client offers."""
    names = tool_names(body)
    if "exec_command" in names or not names:
        name, args = "exec_command", {"cmd": TOOL_COMMAND}
    elif "shell_command" in names:
        name, args = "shell_command", {"command": TOOL_COMMAND}
    elif "shell" in names:
        name, args = "shell", {"command": ["bash", "-lc", TOOL_COMMAND]}
    else:
        name, args = "exec_command", {"cmd": TOOL_COMMAND}
    return {
        "type": "function_call",
        "id": new_id("fc"),
        "call_id": new_id("call"),
        "name": name,
        "arguments": json.dumps(args),
        "status": "completed",
    }


def message_item(text):
    return {
        "type": "message",
        "id": new_id("msg"),
        "role": "assistant",
        "status": "completed",
        "content": [{"type": "output_text", "text": text, "annotations": []}],
    }


def sse_events(body, output_item):
    """The SSE event sequence of one streamed response with one output item."""
    resp_id = new_id("resp")
    model = (body or {}).get("model") or "mock-model"
    base = {"id": resp_id, "object": "response", "created_at": int(time.time()),
            "model": model, "output": []}
    events = [("response.created", {"response": dict(base, status="in_progress")}),
              ("response.in_progress", {"response": dict(base, status="in_progress")})]
    if output_item["type"] == "message":
        text = output_item["content"][0]["text"]
        pending = dict(output_item, status="in_progress", content=[])
        part_empty = {"type": "output_text", "text": "", "annotations": []}
        part_full = output_item["content"][0]
        ids = {"item_id": output_item["id"], "output_index": 0}
        events += [
            ("response.output_item.added", {"output_index": 0, "item": pending}),
            ("response.content_part.added", dict(ids, content_index=0, part=part_empty)),
        ]
        # Two deltas, to exercise concatenation.
        half = len(text) // 2
        for chunk in (text[:half], text[half:]):
            events.append(("response.output_text.delta",
                           dict(ids, content_index=0, delta=chunk)))
        events += [
            ("response.output_text.done", dict(ids, content_index=0, text=text)),
            ("response.content_part.done", dict(ids, content_index=0, part=part_full)),
        ]
    else:
        pending = dict(output_item, status="in_progress", arguments="")
        events += [
            ("response.output_item.added", {"output_index": 0, "item": pending}),
            ("response.function_call_arguments.delta",
             {"item_id": output_item["id"], "output_index": 0,
              "delta": output_item["arguments"]}),
            ("response.function_call_arguments.done",
             {"item_id": output_item["id"], "output_index": 0,
              "arguments": output_item["arguments"]}),
        ]
    events.append(("response.output_item.done", {"output_index": 0, "item": output_item}))
    events.append(("response.completed",
                   {"response": dict(base, status="completed", output=[output_item],
                                     usage=Config.usage)}))
    out = []
    for seq, (etype, payload) in enumerate(events):
        payload = dict(payload, type=etype, sequence_number=seq)
        out.append(("event: %s\ndata: %s\n\n" % (etype, json.dumps(payload))).encode())
    return out


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "mock-model-server/1"

    def log_message(self, fmt, *args):  # keep stderr quiet
        pass

    def _read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length > 0 else b""
        body = None
        if raw:
            try:
                body = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                body = raw.decode("utf-8", "replace")
        return body

    def _log(self, body):
        log_request({
            "n": next(Config.counter),
            "method": self.command,
            "path": self.path,
            "headers": {k.lower(): v for k, v in self.headers.items()
                        if k.lower() != "authorization"},
            "authorization_present": "authorization" in
                                     {k.lower() for k in self.headers.keys()},
            "body": body,
        })

    def _send_json(self, status, obj):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self._log(None)
        path = self.path.split("?", 1)[0]
        if path in ("/v1/models", "/models"):
            self._send_json(200, {"object": "list", "data": [], "models": []})
        else:
            self._send_json(404, {"error": {"message": "not found: " + path}})

    def do_HEAD(self):
        self._log(None)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_POST(self):
        body = self._read_body()
        self._log(body)
        path = self.path.split("?", 1)[0]
        if path not in ("/v1/responses", "/responses"):
            self._send_json(404, {"error": {"message": "not found: " + path}})
            return
        if Config.script == "error500":
            self._send_json(500, {"error": {"message": ERROR500_MESSAGE,
                                            "type": "server_error", "code": None}})
            return
        if Config.script == "tool" and last_input_type(body) != "function_call_output":
            item = shell_call_item(body)
        elif Config.script == "tool":
            item = message_item(TOOL_DONE_TEXT)
        else:
            item = message_item(HI_TEXT)
        chunks = sse_events(body, item)
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        try:
            for chunk in chunks:
                self.wfile.write(chunk)
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--script", choices=["hi", "tool", "error500"], default="hi")
    ap.add_argument("--log")
    ap.add_argument("--input-tokens", type=int, default=42)
    ap.add_argument("--cached-tokens", type=int, default=0)
    ap.add_argument("--output-tokens", type=int, default=7)
    ap.add_argument("--reasoning-tokens", type=int, default=0)
    args = ap.parse_args()

    Config.script = args.script
    Config.log_path = args.log
    Config.usage = {
        "input_tokens": args.input_tokens,
        "input_tokens_details": {"cached_tokens": args.cached_tokens},
        "output_tokens": args.output_tokens,
        "output_tokens_details": {"reasoning_tokens": args.reasoning_tokens},
        "total_tokens": args.input_tokens + args.output_tokens,
    }

    server = ThreadingHTTPServer((args.host, args.port), Handler)
    server.daemon_threads = True
    port = server.server_address[1]

    def stop(signum, frame):
        # shutdown() blocks until serve_forever returns: call it off-thread.
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.replace(tmp, args.port_file)
    try:
        server.serve_forever(poll_interval=0.1)
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
