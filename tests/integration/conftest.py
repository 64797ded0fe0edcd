"""Fixtures of the contract tests: the real `ecf` binary between a private RabbitMQ, the
OpenNebula and COGNIT frontend doubles, and scripted Serverless Runtimes. Everything listens on
127.0.0.1 and every wait is bounded.

Environment (set by CTest): ECF_BUILD_DIR (where `ecf` and `ecf-runtime` are), ECF_SOURCE_DIR.
"""
import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid

import pytest
import requests

SOURCE_DIR = os.environ.get(
    "ECF_SOURCE_DIR", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
BUILD_DIR = os.environ.get("ECF_BUILD_DIR", os.path.join(SOURCE_DIR, "build"))
ECF = os.path.join(BUILD_DIR, "ecf")
sys.path.insert(0, os.path.join(SOURCE_DIR, "tests"))

from harness.rabbitmq import rabbitmq  # noqa: E402,F401  (the session's private RabbitMQ)

START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 15.0


# --- tokens ---------------------------------------------------------------------------------

class TokenIssuer:
    """The COGNIT frontend's side of tokens: a root key pair and `ecf token mint`."""

    def __init__(self):
        out = subprocess.run([ECF, "token", "keygen"], check=True, capture_output=True,
                             text=True, timeout=30).stdout
        keys = json.loads(out)
        self.private_key = keys["private_key"]
        self.public_key = keys["public_key"]

    def mint(self, user, password, expires="2099-01-01T00:00:00Z", extra=""):
        code = ('user("%s");\npassword("%s");\ncheck if time($time), $time < %s;\n%s'
                % (user, password, expires, extra))
        return subprocess.run([ECF, "token", "mint", "--private-key", self.private_key,
                               "--code", code], check=True, capture_output=True, text=True,
                              timeout=30).stdout.strip()


@pytest.fixture(scope="session")
def issuer():
    return TokenIssuer()


# --- Serverless Runtimes --------------------------------------------------------------------

from doubles.serverless_runtime import ServerlessRuntimeDouble  # noqa: E402


def start_runtimes(amqp_url, flavour, consumers=1, **options):
    """`consumers` SR doubles on one flavour queue (each with prefetch 1, as real SRs).
    options: mode (echo, fixed, silent, duplicate), code, message, delay."""
    return [ServerlessRuntimeDouble(amqp_url, flavour, **options).start()
            for _ in range(consumers)]


@pytest.fixture
def runtimes(rabbitmq):
    """runtimes(flavour, consumers=1, mode="echo", ...) -> list of started SR doubles."""
    started = []

    def start(flavour, consumers=1, **options):
        doubles = start_runtimes(rabbitmq.url, flavour, consumers, **options)
        started.extend(doubles)
        return doubles

    yield start
    for double in started:
        double.stop()


def fresh_flavour(name="Flavour"):
    """A flavour (queue) name no other test of the session uses."""
    return "%s-%s" % (name, uuid.uuid4().hex[:8])


def wait_until(condition, limit_s, what, poll_s=0.1):
    """Polls `condition` until it holds; fails the test after `limit_s` seconds, naming `what`."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(poll_s)
    assert condition(), "not reached within %.0f s: %s" % (limit_s, what)


def metric(stack, name, absent=None):
    """The value of metric `name` (with its labels, if given in `name`) in the stack's /metrics;
    `absent` when it is not served."""
    text = requests.get(stack.url + "/metrics", timeout=10).text
    match = re.search(r"^%s(?:\{[^}]*\})? (\S+)$" % re.escape(name), text, re.M)
    return float(match.group(1)) if match else absent


def leave_while_waiting(stack, request, gauge, what):
    """Sends the raw HTTP `request` (bytes) on a connection of its own, waits until the gauge
    `gauge` counts it (1), then closes the connection as a device that gives up would: the wait
    must end within 5 s (the gauge back to 0) and the access log say 499."""
    host, port = stack.url.split("//")[1].split(":")
    client = socket.create_connection((host, int(port)), timeout=30)
    try:
        client.sendall(request)
        wait_until(lambda: metric(stack, gauge) == 1, 15, what + " waiting")
        started = time.monotonic()
    finally:
        client.close()
    wait_until(lambda: metric(stack, gauge) == 0, 5, what + " let go")
    assert time.monotonic() - started < 5
    wait_until(lambda: " 499 " in stack.ecf.log() or '"status":499' in stack.ecf.log(), 5,
               "499 in the access log")


# --- the ecf binary -------------------------------------------------------------------------

class EcfProcess:
    """`ecf serve` on a free port (port 0; the start line tells which)."""

    def __init__(self, config_text, env=None, args=None, workdir=None):
        self.workdir = workdir or tempfile.mkdtemp(prefix="ecf-it-")
        self.config_path = os.path.join(self.workdir, "ecf.conf")
        with open(self.config_path, "w") as f:
            f.write(config_text)
        self.log_path = os.path.join(self.workdir, "ecf.log")
        full_env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
        # A sanitizer build's options (scripts/test.sh sets them: a ThreadSanitizer report
        # halts `ecf`) reach the binary under test too.
        for name in ("TSAN_OPTIONS", "ASAN_OPTIONS", "UBSAN_OPTIONS"):
            if name in os.environ:
                full_env[name] = os.environ[name]
        full_env.update(env or {})
        full_env.setdefault("ECF_PORT", "0")
        full_env.setdefault("ECF_HOST", "127.0.0.1")
        self._log = open(self.log_path, "w")
        self.process = subprocess.Popen(
            [ECF, "serve", "--config", self.config_path] + (args or []), env=full_env,
            stdout=subprocess.PIPE, stderr=self._log, text=True)
        self.start_line = self._read_start_line()
        # "ecf 0.1.0 listening on http://127.0.0.1:PORT (...)"
        address = self.start_line.split("listening on ")[1].split(" ")[0]
        self.url = address
        self.port = int(address.rsplit(":", 1)[1])

    def _read_start_line(self):
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.process.stdout], [], [], 0.2)
            if ready:
                line = self.process.stdout.readline()
                if line:
                    return line.strip()
            if self.process.poll() is not None:
                break
        log = self.log()
        self.stop()
        raise RuntimeError("ecf did not start; log:\n" + log)

    def log(self):
        self._log.flush()
        with open(self.log_path) as f:
            return f.read()

    def stop(self, sig=signal.SIGTERM):
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=STOP_TIMEOUT_S)
        if not self._log.closed:
            self._log.close()
            with open(self.log_path, errors="replace") as f:
                log = f.read()
            if "WARNING: ThreadSanitizer" in log:
                # Kept (not removed with the folder): the report is the failure.
                raise AssertionError("ThreadSanitizer report in %s:\n%s" % (self.log_path,
                                                                              log[-20000:]))
            shutil.rmtree(self.workdir, ignore_errors=True)
        return self.process.returncode


@pytest.fixture
def start_ecf():
    """start_ecf(config_text, env=None) -> EcfProcess; stopped at the end of the test."""
    started = []

    def start(config_text, env=None, args=None):
        process = EcfProcess(config_text, env, args)
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()


def original_config(rabbitmq, opennebula_url, frontend_url, extra=""):
    """A configuration file as written for the original (contract §5), plus `extra` lines."""
    return ("host: 127.0.0.1\nport: 1339\none_xmlrpc: %s\noneflow: http://localhost:2474\n"
            "cognit_frontend: %s\ncluster_id: 0\nbroker: %s\nworkers: 2\nlog_level: info\n%s"
            % (opennebula_url, frontend_url, rabbitmq.original_url, extra))


# --- the whole stack ------------------------------------------------------------------------

USERS = {"alice": "alice-pw", "bob": "bob-pw"}

from doubles import cognit_frontend as cognit_frontend_double  # noqa: E402
from doubles import opennebula_xmlrpc  # noqa: E402

# An XML-RPC answer of OpenNebula for a failure that is none of authentication, authorization
# or existence: an internal error (0x2000).
INTERNAL_ERROR_RESPONSE = (
    '<?xml version="1.0"?><methodResponse><params><param><value><array><data>'
    "<value><boolean>0</boolean></value><value><string>[one.document.info] internal error"
    "</string></value><value><i4>8192</i4></value><value><i4>-1</i4></value>"
    "</data></array></value></param></params></methodResponse>")


class OpenNebula:
    """The OpenNebula double with users alice and bob (in different groups) and helpers."""

    def __init__(self, tls=None):
        users = {"alice": {"password": USERS["alice"], "uid": 5, "gid": 1, "group": "users"},
                 "bob": {"password": USERS["bob"], "uid": 6, "gid": 2, "group": "others"}}
        # tls: (certificate file, key file) to serve HTTPS.
        self.double = opennebula_xmlrpc.start(documents=[], users=users, tls=tls)
        self.url = self.double.url
        self._next_id = 100
        self._lock = threading.Lock()

    def add_document(self, owner, document_type, template):
        with self._lock:
            self._next_id += 1
            document_id = self._next_id
        self.double.set_document({"id": document_id, "owner": owner, "type": document_type,
                                  "name": "doc-%d" % document_id, "template": template})
        return document_id

    def fail_everything(self, failing=True):
        self.double.set_raw_response(INTERNAL_ERROR_RESPONSE if failing else "")

    def stop(self):
        self.double.stop()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        return False


def opennebula_double():
    return OpenNebula()


@pytest.fixture(scope="session")
def opennebula():
    with OpenNebula() as double:
        yield double


@pytest.fixture(scope="session")
def cognit_frontend(issuer):
    double = cognit_frontend_double.start(issuer.public_key)
    yield double
    double.stop()


class Stack:
    """`ecf` in front of the doubles, with helpers to make documents and tokens."""

    def __init__(self, ecf, opennebula, issuer):
        self.ecf = ecf
        self.url = ecf.url
        self.opennebula = opennebula
        self.issuer = issuer

    def token(self, user):
        return self.issuer.mint(user, USERS[user])

    def add_function(self, owner, lang="PY", fc="gAWVBQAAAAAAAACMAXiULg==", fc_hash="83f8"):
        return self.opennebula.add_document(owner, 1339, {"LANG": lang, "FC": fc,
                                                          "FC_HASH": fc_hash})

    def add_requirement(self, owner, flavour, max_execution_time=None):
        template = {}
        if flavour is not None:
            template["FLAVOUR"] = flavour
        if max_execution_time is not None:
            template["MAX_FUNCTION_EXECUTION_TIME"] = max_execution_time
        return self.opennebula.add_document(owner, 1338, template)



@pytest.fixture(scope="session")
def issuer_of_other_key():
    return TokenIssuer()


@pytest.fixture
def unused_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_stack(rabbitmq, opennebula, cognit_frontend, issuer, env=None, broker=None):
    text = original_config(rabbitmq, opennebula.url, cognit_frontend.url)
    if broker is not None:
        text = text.replace(rabbitmq.original_url, broker)
    all_env = {"ECF_PORT": "0", "ECF_DOCUMENT_CACHE_TTL": "0"}
    all_env.update(env or {})
    return Stack(EcfProcess(text, all_env), opennebula, issuer)


@pytest.fixture(scope="module")
def stack(rabbitmq, opennebula, cognit_frontend, issuer):
    """One `ecf` for a whole test file, as a deployment written for the original runs it."""
    running = _start_stack(rabbitmq, opennebula, cognit_frontend, issuer)
    yield running
    running.ecf.stop()


@pytest.fixture
def make_stack(rabbitmq, opennebula, cognit_frontend, issuer):
    """make_stack(env=None, broker=None): an `ecf` of its own for one test."""
    started = []

    def make(env=None, broker=None):
        running = _start_stack(rabbitmq, opennebula, cognit_frontend, issuer, env, broker)
        started.append(running)
        return running

    yield make
    for running in started:
        running.ecf.stop()
