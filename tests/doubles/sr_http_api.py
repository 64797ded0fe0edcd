#!/usr/bin/python3
"""A test double of a Serverless Runtime's own HTTP API: POST /v1/faas/execute-sync.

Listens on 127.0.0.1 only. Prints "PORT <n>" on its first line of standard output once it
listens (pass --port 0 for a free port). Stops on SIGTERM, and with --exit-on-stdin-eof also
when its standard input closes, so a test that dies cannot leave it behind.

Modes:
  ok         runs the payload's Python function like the real SR (cloudpickle), answers 200
  echo       answers 200 with ret_code 0 and res = JSON {"path", "body", "content_type"} of the
             request it got, so a test can check what was sent
  error      answers --status (default 500) with {"detail": "..."} like FastAPI
  slow       waits --delay seconds, then answers as `ok`
  garbage    answers 200 with a body that is not JSON
  not-exec   answers 200 with a JSON object that is not an ExecResponse
"""
import argparse
import base64
import json
import os
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "scripts", "executors"))
import python_executor  # noqa: E402  (the same encodings as the real SR)

EXECUTE_SYNC = "/v1/faas/execute-sync"


def make_handler(options):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format, *args):  # keep test output quiet
            pass

        def reply(self, status, body, content_type="application/json"):
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self):
            length = int(self.headers.get("Content-Length", "0"))
            raw = self.rfile.read(length)
            if self.path != EXECUTE_SYNC:
                self.reply(404, {"detail": "Not Found"})
                return
            mode = options.mode
            if mode == "echo":
                seen = {"path": self.path, "body": raw.decode("utf-8", "replace"),
                        "content_type": self.headers.get("Content-Type")}
                self.reply(200, {"ret_code": 0, "res": json.dumps(seen), "err": None})
            elif mode == "error":
                self.reply(options.status, {"detail": "serverless runtime double: error mode"})
            elif mode == "garbage":
                self.reply(200, b"<html>not json</html>", "text/html")
            elif mode == "not-exec":
                self.reply(200, {"foo": 1})
            else:
                if mode == "slow":
                    time.sleep(options.delay)
                try:
                    payload = json.loads(raw)
                except ValueError:
                    self.reply(422, {"detail": [{"msg": "invalid JSON"}]})
                    return
                self.reply(200, python_executor.run(payload))

    return Handler


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--mode", default="ok",
                        choices=["ok", "echo", "error", "slow", "garbage", "not-exec"])
    parser.add_argument("--status", type=int, default=500)
    parser.add_argument("--delay", type=float, default=5.0)
    parser.add_argument("--exit-on-stdin-eof", action="store_true")
    options = parser.parse_args()

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        request_queue_size = 128  # socketserver's default, 5, loses SYNs in a burst

    server = Server(("127.0.0.1", options.port), make_handler(options))
    print(f"PORT {server.server_address[1]}", flush=True)

    def stop(*_):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)

    def watch_stdin():
        sys.stdin.read()
        stop()

    if options.exit_on_stdin_eof:
        threading.Thread(target=watch_stdin, daemon=True).start()
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
