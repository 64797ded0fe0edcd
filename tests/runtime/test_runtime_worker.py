"""The whole ecf-runtime worker against a real RabbitMQ (tests/harness/rabbitmq.py): requests
published on a flavour queue as the ECF publishes them (contract section 4), results read from
exchange `results` as the ECF reads them, with real cloudpickled functions."""
import base64
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid

import cloudpickle
import pika
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
PYTHON_EXECUTOR = "/usr/bin/python3 " + os.path.join(ROOT, "scripts", "executors",
                                                     "python_executor.py")
SR_HTTP_API = os.path.join(ROOT, "tests", "doubles", "sr_http_api.py")
ECF_RUNTIME = os.environ.get("ECF_RUNTIME", os.path.join(ROOT, "build", "ecf-runtime"))

RESULT_WAIT_S = 30.0


def encode(value):
    return base64.b64encode(cloudpickle.dumps(value)).decode("utf-8")


def decode(text):
    return cloudpickle.loads(base64.b64decode(text))


def processes_with_argument(argument):
    """PIDs of the processes whose command line holds `argument`."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % name, "rb") as f:
                arguments = f.read().split(b"\0")
        except OSError:
            continue
        if argument.encode() in arguments:
            found.append(int(name))
    return found


def request(fc, *params, request_id=None):
    return {"request_id": request_id or str(uuid.uuid4()), "mode": "sync",
            "payload": {"lang": "PY", "fc": encode(fc), "fc_hash": "hash",
                        "params": [encode(p) for p in params], "app_req_id": 39}}


class Worker:
    """One ecf-runtime process; always stopped at the end of the test."""

    def __init__(self, rabbit_url, flavour, *args):
        # A file, not a pipe: a pipe nobody reads would block the worker once full.
        self.log = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            [ECF_RUNTIME, "--broker", rabbit_url, "--flavour", flavour, "--log-level", "debug",
             *args], stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT)
        self.status = None

    def stop(self, timeout_s=30.0):
        """SIGTERM, then the exit status (None if it had to be killed) and the log."""
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.status = self.process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.log.seek(0)
        return self.status, self.log.read().decode("utf-8", "replace")


@pytest.fixture
def shared_dir():
    """A folder the function can write to: a worker running as root runs it as nobody."""
    path = tempfile.mkdtemp(prefix="ecf-runtime-shared-")
    os.chmod(path, 0o777)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def worker_factory(rabbitmq):
    workers = []

    def start(flavour, *args, url=None):
        worker = Worker(url or rabbitmq.url, flavour, *args)
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.stop()


class Ecf:
    """What the ECF does on the broker: declares `results` (plainly, contract §4, as the ECF and
    ecf-runtime both declare it) and the flavour queue, binds one queue per request id
    (the original ECF's way, the simplest to read a result by), publishes requests and waits for
    results."""

    def __init__(self, url, flavour):
        self.connection = pika.BlockingConnection(pika.URLParameters(url))
        self.channel = self.connection.channel()
        self.flavour = flavour
        self.channel.exchange_declare("results.unrouted", exchange_type="fanout")
        self.channel.exchange_declare("results", exchange_type="direct")
        self.channel.queue_declare(flavour)

    def publish(self, message, raw=None):
        if raw is None:
            queue = "results_" + message["request_id"]
            self.channel.queue_declare(queue, exclusive=True)
            self.channel.queue_bind(queue, "results", routing_key=message["request_id"])
        body = raw if raw is not None else json.dumps(message)
        self.channel.basic_publish("", self.flavour, body)

    def result(self, request_id, timeout_s=RESULT_WAIT_S):
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            method, properties, body = self.channel.basic_get("results_" + request_id,
                                                              auto_ack=True)
            if method is not None:
                assert method.exchange == "results"
                assert method.routing_key == request_id
                return json.loads(body)
            self.connection.sleep(0.05)
        raise AssertionError(f"no result for {request_id} within {timeout_s} s")

    def messages_in_flavour_queue(self):
        return self.channel.queue_declare(self.flavour, passive=True).method.message_count

    def close(self):
        self.connection.close()


@pytest.fixture
def ecf(rabbitmq, request):
    flavour = "flavour-" + request.node.name[:40] + "-" + uuid.uuid4().hex[:6]
    client = Ecf(rabbitmq.url, flavour)
    yield client
    client.close()


def test_runs_a_pickled_function_and_publishes_its_result(ecf, worker_factory):
    worker = worker_factory(ecf.flavour, "--exec", PYTHON_EXECUTOR)
    message = request(lambda a, b: a * b, 6, 7)
    ecf.publish(message)
    result = ecf.result(message["request_id"])
    assert result["code"] == 200
    assert result["message"]["ret_code"] == 0
    assert result["message"]["err"] is None
    assert decode(result["message"]["res"]) == 42

    status, output = worker.stop()
    assert status == 0, output
    # Acked: after the worker's connection is gone nothing came back to the queue.
    assert ecf.messages_in_flavour_queue() == 0


def test_a_function_that_raises_is_a_200_with_ret_code_minus_one(ecf, worker_factory):
    worker_factory(ecf.flavour, "--exec", PYTHON_EXECUTOR)

    def fails():
        raise RuntimeError("no luck")

    message = request(fails)
    ecf.publish(message)
    result = ecf.result(message["request_id"])
    assert result["code"] == 200
    assert result["message"]["ret_code"] == -1
    assert result["message"]["err"] == "Error executing function: no luck"
    assert decode(result["message"]["res"]) is None


def test_malformed_messages_are_acked_and_dropped(ecf, worker_factory):
    worker = worker_factory(ecf.flavour, "--exec", PYTHON_EXECUTOR)
    for raw in ["not json", "[1,2]", json.dumps({"mode": "sync", "payload": {}}),
                json.dumps({"request_id": "x", "payload": "no object"})]:
        ecf.publish(None, raw=raw)
    message = request(lambda: "still alive")
    ecf.publish(message)
    assert decode(ecf.result(message["request_id"])["message"]["res"]) == "still alive"
    status, output = worker.stop()
    assert status == 0, output
    assert ecf.messages_in_flavour_queue() == 0
    assert "dropping a malformed request message" in output


def test_forwards_to_a_serverless_runtime_http_api(ecf, worker_factory):
    sr = subprocess.Popen(["/usr/bin/python3", SR_HTTP_API, "--port", "0", "--mode", "ok"],
                          stdin=subprocess.DEVNULL, stdout=subprocess.PIPE)
    try:
        port = int(sr.stdout.readline().decode().split()[1])
        worker_factory(ecf.flavour, "--forward", f"http://127.0.0.1:{port}")
        message = request(lambda xs: sorted(xs), [3, 1, 2])
        ecf.publish(message)
        result = ecf.result(message["request_id"])
        assert result["code"] == 200
        assert decode(result["message"]["res"]) == [1, 2, 3]
    finally:
        sr.terminate()
        sr.wait(timeout=10)
        sr.stdout.close()


def test_an_execution_past_its_time_limit_is_answered(ecf, worker_factory):
    worker_factory(ecf.flavour, "--exec", PYTHON_EXECUTOR, "--exec-timeout", "1")
    message = request(lambda: __import__("time").sleep(30))
    started = time.monotonic()
    ecf.publish(message)
    result = ecf.result(message["request_id"])
    assert time.monotonic() - started < 15
    assert result["code"] == 200
    assert result["message"]["ret_code"] == -1
    assert "time limit" in result["message"]["err"]


def test_sigterm_finishes_the_current_execution_and_leaves_the_rest_queued(
        ecf, worker_factory, shared_dir):
    worker = worker_factory(ecf.flavour, "--exec", PYTHON_EXECUTOR)
    started = os.path.join(shared_dir, "started")

    def first():
        import time as t
        open(started, "w").close()
        t.sleep(1.5)
        return "first"

    messages = [request(first)] + [request(lambda i=i: i) for i in range(3)]
    for message in messages:
        ecf.publish(message)
    deadline = time.monotonic() + RESULT_WAIT_S
    while not os.path.exists(started) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert os.path.exists(started), "the first execution never started"
    status, output = worker.stop()
    assert status == 0, output
    assert decode(ecf.result(messages[0]["request_id"])["message"]["res"]) == "first"
    assert ecf.messages_in_flavour_queue() == 3


def test_a_long_execution_keeps_the_connection_alive(ecf, worker_factory):
    # With a 1 s heartbeat RabbitMQ closes a connection that is silent for a few seconds; the
    # worker keeps serving it while the function runs, so the result comes back once, without
    # a reconnection and a second run.
    worker = worker_factory(ecf.flavour, "--exec", PYTHON_EXECUTOR, "--heartbeat", "1")
    message = request(lambda: __import__("time").sleep(6) or "slow")
    ecf.publish(message)
    assert decode(ecf.result(message["request_id"])["message"]["res"]) == "slow"
    status, output = worker.stop()
    assert status == 0, output
    assert "connecting again" not in output
    assert output.count("request " + message["request_id"] + ": code 200") == 1


def test_prefetch_takes_several_deliveries_and_runs_them_all(ecf, worker_factory):
    worker_factory(ecf.flavour, "--exec", PYTHON_EXECUTOR, "--prefetch", "4")
    messages = [request(lambda i=i: i * i) for i in range(6)]
    for message in messages:
        ecf.publish(message)
    for i, message in enumerate(messages):
        assert decode(ecf.result(message["request_id"])["message"]["res"]) == i * i


def test_consumes_again_when_its_queue_was_deleted(ecf, worker_factory):
    worker = worker_factory(ecf.flavour, "--exec", PYTHON_EXECUTOR)
    first = request(lambda: 1)
    ecf.publish(first)
    assert decode(ecf.result(first["request_id"])["message"]["res"]) == 1

    ecf.channel.queue_delete(ecf.flavour)
    ecf.channel.queue_declare(ecf.flavour)  # as the ECF does before each publish
    second = request(lambda: 2)
    ecf.publish(second)
    assert decode(ecf.result(second["request_id"])["message"]["res"]) == 2
    status, output = worker.stop()
    assert status == 0, output
    assert "cancelled the consumer" in output


def test_reconnects_when_the_broker_comes_back():
    sys.path.insert(0, os.path.join(ROOT, "tests"))
    from harness.rabbitmq import RabbitMQ

    with RabbitMQ() as rabbit:
        flavour = "reconnect-" + uuid.uuid4().hex[:6]
        worker = Worker(rabbit.url, flavour, "--exec", PYTHON_EXECUTOR)
        try:
            ecf = Ecf(rabbit.url, flavour)
            first = request(lambda: 1)
            ecf.publish(first)
            assert decode(ecf.result(first["request_id"])["message"]["res"]) == 1
            ecf.close()

            rabbit.restart()
            ecf = Ecf(rabbit.url, flavour)
            second = request(lambda: 2)
            ecf.publish(second)
            assert decode(ecf.result(second["request_id"])["message"]["res"]) == 2
            ecf.close()
        finally:
            status, output = worker.stop()
        assert status == 0, output
        assert "connecting again" in output


# --- the function's sandbox (issue 8, item 5) -----------------------------------------------

class SandboxWorker(Worker):
    """ecf-runtime given the broker URL in a private file (or, with mode None, only through its
    environment), never on its command line."""

    def __init__(self, rabbit_url, flavour, *args, mode=0o600, env=None):
        self.broker_file = None
        broker_args = []
        if mode is not None:
            self.broker_file = tempfile.NamedTemporaryFile("w", delete=False)
            self.broker_file.write(rabbit_url + "\n")
            self.broker_file.close()
            os.chmod(self.broker_file.name, mode)
            broker_args = ["--broker-file", self.broker_file.name]
        self.log = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            [ECF_RUNTIME, *broker_args, "--flavour", flavour, "--log-level", "debug", *args],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT, env=env)
        self.status = None

    def stop(self, timeout_s=30.0):
        try:
            return super().stop(timeout_s)
        finally:
            if self.broker_file is not None:
                os.unlink(self.broker_file.name)


def test_the_broker_url_is_read_from_a_private_file_never_the_command_line(ecf, rabbitmq):
    worker = SandboxWorker(rabbitmq.url, ecf.flavour, "--exec", PYTHON_EXECUTOR)
    try:
        message = request(lambda: 5)
        ecf.publish(message)
        assert decode(ecf.result(message["request_id"])["message"]["res"]) == 5
        with open("/proc/%d/cmdline" % worker.process.pid, "rb") as f:
            command_line = f.read().decode("utf-8", "replace")
        assert rabbitmq.url not in command_line
        assert "@" not in command_line
    finally:
        status, output = worker.stop()
    assert status == 0, output


def test_a_broker_file_others_can_read_is_refused(ecf, rabbitmq):
    worker = SandboxWorker(rabbitmq.url, ecf.flavour, "--exec", PYTHON_EXECUTOR,
                                  mode=0o644)
    try:
        status = worker.process.wait(timeout=30)
    finally:
        _, output = worker.stop()
    assert status == 2
    assert "chmod 600" in output
    assert rabbitmq.url not in output


def test_a_function_sees_none_of_the_workers_environment(ecf, rabbitmq):
    env = dict(os.environ, ECF_TEST_WORKER_SECRET="do-not-leak", ECF_RUNTIME_BROKER=rabbitmq.url)
    worker = SandboxWorker(rabbitmq.url, ecf.flavour, "--exec", PYTHON_EXECUTOR, mode=None,
                           env=env)
    try:
        def environment():
            import os as inner_os
            return dict(inner_os.environ)

        message = request(environment)
        ecf.publish(message)
        seen = decode(ecf.result(message["request_id"])["message"]["res"])
    finally:
        worker.stop()
    assert "ECF_TEST_WORKER_SECRET" not in seen
    assert "ECF_RUNTIME_BROKER" not in seen
    assert not any(rabbitmq.url in value for value in seen.values())
    assert set(seen) <= {"PATH", "LANG", "LC_CTYPE", "PWD"}, seen


@pytest.mark.skipif(os.geteuid() != 0, reason="switching users needs root")
def test_a_root_worker_runs_functions_as_nobody_under_limits(ecf, worker_factory):
    worker_factory(ecf.flavour, "--exec", PYTHON_EXECUTOR, "--exec-memory-mb", "512")

    def identity():
        import os as inner_os
        import resource
        return inner_os.getuid(), resource.getrlimit(resource.RLIMIT_AS)[0]

    message = request(identity)
    ecf.publish(message)
    uid, memory = decode(ecf.result(message["request_id"])["message"]["res"])
    assert uid == 65534
    assert memory == 512 * 1024 * 1024


def test_a_process_the_function_detached_with_setsid_does_not_outlive_it(ecf, worker_factory):
    worker_factory(ecf.flavour, "--exec", PYTHON_EXECUTOR)

    # Found by its command line, not by the PID the function saw (which a PID namespace would
    # make another's).
    marker = "300.%d" % (os.getpid() * 1000 + int(time.monotonic() * 1000) % 1000)

    def escape(argument):
        import subprocess as inner_subprocess
        inner_subprocess.Popen(["sleep", argument], start_new_session=True,
                               stdin=inner_subprocess.DEVNULL, stdout=inner_subprocess.DEVNULL,
                               stderr=inner_subprocess.DEVNULL)
        return True

    message = request(escape, marker)
    ecf.publish(message)
    assert decode(ecf.result(message["request_id"])["message"]["res"]) is True
    # The worker ends the run's leftovers before it publishes the result.
    assert processes_with_argument(marker) == []
