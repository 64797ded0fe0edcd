"""The RabbitMQ harness and the Serverless Runtime double, against a real private node."""

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid

import pika
import pytest

TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, TESTS)

from doubles.serverless_runtime import ServerlessRuntimeDouble  # noqa: E402
from harness.rabbitmq import RabbitMQ, rabbitmq  # noqa: E402,F401 - the session fixture

HARNESS = os.path.join(TESTS, "harness", "rabbitmq.py")
DOUBLE = os.path.join(TESTS, "doubles", "serverless_runtime.py")


def _accepts(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


class Ecf:
    """The ECF's side of contract §4, as the original does it: a queue bound to `results`
    with the request id, then the request on the flavour queue."""

    def __init__(self, url, results_exchange="results"):
        self.connection = pika.BlockingConnection(pika.URLParameters(url))
        self.channel = self.connection.channel()
        self.results_exchange = results_exchange
        self.channel.exchange_declare(results_exchange, exchange_type="direct")

    def send(self, flavour, payload, request_id=None, properties=None):
        request_id = request_id or str(uuid.uuid4())
        queue = self.channel.queue_declare("", exclusive=True).method.queue
        self.channel.queue_bind(queue, self.results_exchange, routing_key=request_id)
        self.channel.queue_declare(flavour)
        body = json.dumps({"request_id": request_id, "mode": "sync", "payload": payload})
        self.channel.basic_publish("", flavour, body.encode(),
                                   properties or pika.BasicProperties())
        return request_id, queue

    def results(self, queue, count, timeout_s=10.0):
        got = []
        deadline = time.monotonic() + timeout_s
        while len(got) < count and time.monotonic() < deadline:
            method, _, body = self.channel.basic_get(queue, auto_ack=True)
            if method is None:
                self.connection.process_data_events(time_limit=0.05)
                continue
            got.append(json.loads(body))
        return got

    def close(self):
        self.connection.close()


@pytest.fixture
def ecf(rabbitmq):
    side = Ecf(rabbitmq.url)
    yield side
    side.close()


def _flavour():
    return "flavour-" + uuid.uuid4().hex[:8]


def test_harness_node_is_private_and_answers(rabbitmq):
    assert rabbitmq.nodename.startswith("ecf-test-")
    assert rabbitmq.port != 5672
    assert rabbitmq.dir.startswith(tempfile.gettempdir())
    connection = pika.BlockingConnection(pika.URLParameters(rabbitmq.url))
    assert connection.is_open
    connection.close()


def test_harness_cli_starts_restarts_and_stops_completely(tmp_path):
    node_dir = str(tmp_path / "node")
    port_file = str(tmp_path / "port")
    out = subprocess.run([sys.executable, HARNESS, "start", "--dir", node_dir,
                          "--port-file", port_file], capture_output=True, text=True,
                         timeout=90, check=True)
    port = int(out.stdout.strip())
    try:
        assert int(open(port_file).read()) == port
        assert _accepts(port)
        pid = json.load(open(os.path.join(node_dir, "state.json")))["pid"]
        out = subprocess.run([sys.executable, HARNESS, "restart", "--dir", node_dir],
                             capture_output=True, text=True, timeout=120, check=True)
        assert int(out.stdout.strip()) == port
        assert _accepts(port)
        new_pid = json.load(open(os.path.join(node_dir, "state.json")))["pid"]
        assert new_pid != pid
    finally:
        subprocess.run([sys.executable, HARNESS, "stop", "--dir", node_dir], timeout=90,
                       check=True)
    assert not _accepts(port)
    with pytest.raises(ProcessLookupError):
        os.killpg(new_pid, 0)  # the whole process group is gone


def test_harness_context_manager_removes_its_folder():
    with RabbitMQ() as node:
        folder = node.dir
        assert _accepts(node.port)
    assert not os.path.exists(folder)
    assert not _accepts(node.port)


def test_echo_returns_the_exact_payload_and_records_properties(rabbitmq, ecf, tmp_path):
    flavour = _flavour()
    record = str(tmp_path / "received.jsonl")
    payload = {"lang": "PY", "fc": "Zm4=", "fc_hash": "83f8", "params": ["gAVLAi4=", "gAVLAy4="],
               "app_req_id": 39}
    with ServerlessRuntimeDouble(rabbitmq.url, flavour, record_file=record) as sr:
        props = pika.BasicProperties(content_type="application/json", correlation_id="c-1",
                                     expiration="5000")
        request_id, queue = ecf.send(flavour, payload, properties=props)
        results = ecf.results(queue, 1)
        assert results == [{"code": 200, "message": {"ret_code": 0, "res": json.dumps(payload),
                                                      "err": None}}]
        assert json.loads(results[0]["message"]["res"]) == payload
        (entry,) = sr.wait_for(1)
    assert entry["flavour"] == flavour
    assert entry["body"] == {"request_id": request_id, "mode": "sync", "payload": payload}
    assert entry["properties"]["content_type"] == "application/json"
    assert entry["properties"]["correlation_id"] == "c-1"
    assert entry["properties"]["expiration"] == "5000"
    lines = [json.loads(line) for line in open(record)]
    assert lines[0]["body"] == entry["body"]


def test_fixed_code_and_message(rabbitmq, ecf):
    flavour = _flavour()
    message = {"ret_code": -1, "res": None, "err": "boom"}
    with ServerlessRuntimeDouble(rabbitmq.url, flavour, mode="fixed", code=400, message=message):
        _, queue = ecf.send(flavour, {"params": []})
        assert ecf.results(queue, 1) == [{"code": 400, "message": message}]


def test_duplicate_answers_twice(rabbitmq, ecf):
    flavour = _flavour()
    with ServerlessRuntimeDouble(rabbitmq.url, flavour, mode="duplicate"):
        _, queue = ecf.send(flavour, {"params": ["x"]})
        results = ecf.results(queue, 2)
        assert [r["message"]["res"] for r in results] == [json.dumps({"params": ["x"]}),
                                                          "duplicate"]


def test_silent_never_answers_but_records(rabbitmq, ecf):
    flavour = _flavour()
    with ServerlessRuntimeDouble(rabbitmq.url, flavour, mode="silent") as sr:
        _, queue = ecf.send(flavour, {"params": []})
        sr.wait_for(1)
        assert ecf.results(queue, 1, timeout_s=0.5) == []


def test_delayed_answer_and_prefetch_one(rabbitmq, ecf):
    flavour = _flavour()
    with ServerlessRuntimeDouble(rabbitmq.url, flavour, delay=0.4) as sr:
        started = time.monotonic()
        _, q1 = ecf.send(flavour, {"params": ["1"]})
        _, q2 = ecf.send(flavour, {"params": ["2"]})
        assert len(ecf.results(q1, 1)) == 1
        assert len(ecf.results(q2, 1)) == 1
        # One at a time (prefetch 1): the second waited for the first.
        assert time.monotonic() - started >= 0.8
        assert len(sr.received) == 2


def test_several_flavours_and_the_script(rabbitmq, ecf, tmp_path):
    flavours = [_flavour(), _flavour()]
    record = str(tmp_path / "script.jsonl")
    args = [sys.executable, DOUBLE, "--broker", rabbitmq.url, "--record", record,
            "--max-seconds", "60"]
    for f in flavours:
        args += ["--flavour", f]
    process = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout.readline().strip() == "ready"
        queues = [ecf.send(f, {"params": [f]})[1] for f in flavours]
        for f, q in zip(flavours, queues):
            (result,) = ecf.results(q, 1)
            assert json.loads(result["message"]["res"]) == {"params": [f]}
    finally:
        process.terminate()
        process.wait(timeout=15)
    assert process.returncode == 0
    assert sorted(json.loads(line)["flavour"] for line in open(record)) == sorted(flavours)
