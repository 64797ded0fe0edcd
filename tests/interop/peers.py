"""The two Biscuit implementations as JSON-lines peers (see biscuit-reference.mjs)."""
import json
import os
import select
import subprocess
import time


class Peer:
    """One long-lived process answering one JSON line per request line."""

    def __init__(self, name, argv, cwd=None):
        self.name = name
        self.process = subprocess.Popen(
            argv, cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, text=True, bufsize=1)

    def request(self, timeout=20.0, **req):
        self.process.stdin.write(json.dumps(req) + "\n")
        self.process.stdin.flush()
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"{self.name} did not answer {req.get('op')} in {timeout} s")
            ready, _, _ = select.select([self.process.stdout], [], [], remaining)
            if ready:
                line = self.process.stdout.readline()
                if not line:
                    raise RuntimeError(f"{self.name} exited")
                return json.loads(line)

    def close(self):
        self.process.stdin.close()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)


def reference():
    node = os.environ.get("BISCUIT_NODE", "node")
    directory = os.environ["BISCUIT_REFERENCE_DIR"]
    return Peer("reference", [node, "--experimental-wasm-modules", "--no-warnings",
                              "biscuit-reference.mjs"], cwd=directory)


def cpp():
    return Peer("cpp", [os.environ["BISCUIT_CPP_DRIVER"]])
