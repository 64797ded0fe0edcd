"""What the COGNIT Python device client does, end to end on one machine: the ECF in standalone
mode, a private RabbitMQ, and `ecf-runtime` running the Python executor. The client side is
scripts/demo/client.py, which makes the device client's calls."""
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time

import cloudpickle
import pytest

from conftest import BUILD_DIR, SOURCE_DIR, fresh_flavour
from standalone_support import device_client, start_standalone

# The functions below live in this test module, which the runtime cannot import: ship them by
# value, as they would be from a device's __main__.
cloudpickle.register_pickle_by_value(sys.modules[__name__])

USER = ("device", "device-password")


def mean_of(values):
    return sum(values) / len(values)


def broken(divisor):
    return 1 / divisor


@contextlib.contextmanager
def running_runtime(rabbitmq, flavour):
    """`ecf-runtime` with the Python executor on `flavour`, once it consumes; stopped after."""
    workdir = tempfile.mkdtemp(prefix="ecf-e2e-")
    log_path = os.path.join(workdir, "runtime.log")
    with open(log_path, "w") as log:
        runtime = subprocess.Popen(
            [os.path.join(BUILD_DIR, "ecf-runtime"), "--broker", rabbitmq.url, "--flavour",
             flavour, "--exec", "/usr/bin/python3 %s" % os.path.join(
                 SOURCE_DIR, "scripts", "executors", "python_executor.py")],
            stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 30
            while "consuming queue" not in open(log_path).read():
                assert runtime.poll() is None, open(log_path).read()
                assert time.monotonic() < deadline, "ecf-runtime did not start within 30 s"
                time.sleep(0.1)
            yield
        finally:
            runtime.send_signal(signal.SIGTERM)
            try:
                runtime.wait(timeout=15)
            except subprocess.TimeoutExpired:
                runtime.kill()
                runtime.wait(timeout=15)


@pytest.fixture(scope="module")
def edge():
    """A RabbitMQ node of this module's own, `ecf-runtime` on it, then the ECF.

    Both declare `results` through the same code (src/broker/results_exchange.cpp), so the order
    does not matter: test_a_runtime_started_after_the_ecf covers the other one."""
    from harness.rabbitmq import RabbitMQ

    flavour = fresh_flavour("EndToEnd")
    with RabbitMQ() as rabbitmq, running_runtime(rabbitmq, flavour):
        ecf = start_standalone(rabbitmq, dict([USER]))
        yield ecf, flavour, rabbitmq
        ecf.stop()


def offload(edge, function, *params, flavour=None):
    ecf = edge[0]
    client = device_client.DeviceClient(ecf.url, *USER)
    requirements = {"FLAVOUR": flavour or edge[1], "MAX_FUNCTION_EXECUTION_TIME": 20.0,
                    "GEOLOCATION": {"latitude": 43.05, "longitude": -2.53}}
    # The runtime may still be declaring its queue: retry a few times, bounded.
    deadline = time.monotonic() + 30
    while True:
        try:
            return client.offload(function, *params, requirements=requirements)
        except device_client.CognitError as e:
            if time.monotonic() > deadline or e.status_code < 500:
                raise
            time.sleep(0.5)


def test_a_runtime_started_after_the_ecf(edge):
    rabbitmq = edge[2]
    flavour = fresh_flavour("Late")
    with running_runtime(rabbitmq, flavour):
        result, _ = offload(edge, mean_of, [2, 4], flavour=flavour)
    assert result["ret_code"] == 0
    assert result["res"] == 3.0


def test_a_function_returning_a_value(edge):
    result, ecf = offload(edge, mean_of, [1, 2, 3, 4])
    assert ecf == edge[0].url
    assert result["ret_code"] == 0
    assert result["res"] == 2.5
    assert result["err"] is None


def test_a_function_that_raises(edge):
    result, _ = offload(edge, broken, 0)
    assert result["ret_code"] == -1
    assert "division by zero" in result["err"]
    assert result["res"] is None


def test_the_same_function_is_uploaded_once(edge):
    ecf = edge[0]
    client = device_client.DeviceClient(ecf.url, *USER)
    client.authenticate()
    assert client.upload_function(mean_of) == client.upload_function(mean_of)
