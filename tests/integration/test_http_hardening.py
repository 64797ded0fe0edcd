"""The HTTP server facing the internet (issue 8 items 1, 4 and 7; issue 10 item 3): bounded
answers to huge bodies, refused transfer codings, escaped logs, descriptors that a flood of idle
connections cannot exhaust, and the health and readiness routes. Most tests run `ecf` standalone
with the broker pointing at a closed port: no RabbitMQ is needed to be served or refused."""
import concurrent.futures
import os
import signal
import socket
import stat
import tempfile
import time

import requests

import conftest
from conftest import EcfProcess, fresh_flavour

TIMEOUT = 30


def closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_standalone_without_broker(extra=""):
    workdir = tempfile.mkdtemp(prefix="ecf-http-")
    config = ("host: 127.0.0.1\nport: 0\nbroker: amqp://guest:guest@127.0.0.1:%d/\n"
              "data_dir: %s\nworkers: 2\n%s" % (closed_port(), os.path.join(workdir, "data"),
                                                extra))
    return EcfProcess(config, workdir=workdir)


def resident_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def raw_request(port, data, source="127.0.0.1", timeout=10):
    """Sends `data` on a new connection from `source`; returns everything read until the server
    closes (or `timeout`)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout,
                                  source_address=(source, 0)) as s:
        s.sendall(data)
        received = b""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                return received, True
            received += chunk
        return received, False


def status_of(response_bytes):
    return int(response_bytes.split(b" ", 2)[1])


def test_huge_bodies_of_bad_elements_get_a_small_422_and_memory_stays_low():
    ecf = start_standalone_without_broker()
    try:
        url = ecf.url + "/v1/functions/1/execute?app_req_id=2&mode=sync"
        baseline = resident_kib(ecf.process.pid)
        for megabytes in (2, 8):
            body = "[" + ",".join(["0"] * (megabytes * 1024 * 1024 // 2)) + "]"
            reply = requests.post(url, data=body, headers={"Content-Type": "application/json"},
                                  timeout=TIMEOUT)
            assert reply.status_code == 422
            assert len(reply.content) < 4096
            assert "more than 10000 values" in reply.text
        # The same number of elements, every one a problem, within the value limit: a few listed.
        reply = requests.post(url, data="[" + ",".join(["0"] * 9000) + "]", timeout=TIMEOUT)
        assert reply.status_code == 422
        assert len(reply.json()["detail"]) == 8
        # The bodies themselves were held (8 MiB) and given back; nothing grew with the elements.
        assert resident_kib(ecf.process.pid) < baseline + 48 * 1024
        assert requests.get(ecf.url + "/healthz", timeout=TIMEOUT).status_code == 200
    finally:
        ecf.stop()


def test_small_routes_take_the_small_body_limit():
    ecf = start_standalone_without_broker("max_small_body_bytes: 1024\n")
    try:
        reply = requests.post(ecf.url + "/v1/device_metrics", json={"a": "x" * 4096},
                              headers={"token": "t"}, timeout=TIMEOUT)
        assert reply.status_code == 413
        assert reply.json() == {"detail": "Request body too large"}
    finally:
        ecf.stop()


def test_transfer_codings_other_than_chunked_get_501_and_a_close():
    ecf = start_standalone_without_broker()
    try:
        received, closed = raw_request(
            ecf.port,
            b"POST /v1/device_metrics HTTP/1.1\r\nHost: x\r\ntoken: t\r\n"
            b"Transfer-Encoding: gzip, chunked\r\n\r\n9\r\n{\"cpu\":1}\r\n0\r\n\r\n")
        assert status_of(received) == 501
        assert b'{"detail":' in received
        assert closed
        # An unbounded chunk extension is cut off.
        received, closed = raw_request(
            ecf.port,
            b"POST /v1/device_metrics HTTP/1.1\r\nHost: x\r\ntoken: t\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n9;x=" + b"y" * 200000 + b"\r\n")
        assert status_of(received) == 400
        assert closed
    finally:
        ecf.stop()


def log_bytes(ecf):
    ecf._log.flush()
    with open(ecf.log_path, "rb") as f:
        return f.read()


def test_the_access_log_is_printable_utf8_without_query_values():
    ecf = start_standalone_without_broker()
    try:
        received, _ = raw_request(
            ecf.port, b"GET /caf\xc3\xa9/\xff\xfex?token=s3cr3t&mode=sync HTTP/1.1\r\n"
                      b"Host: x\r\nConnection: close\r\n\r\n")
        assert status_of(received) == 400  # raw bytes are not a valid target (RFC 3986)
        # The access line is written before the response: it is in the log by now.
        log = log_bytes(ecf)
    finally:
        ecf.stop()
    lines = [line for line in log.decode("utf-8").splitlines() if "caf" in line]
    assert len(lines) == 1, log
    assert '"GET /caf\u00e9/\\xff\\xfex?token&mode" 400' in lines[0]
    assert "s3cr3t" not in lines[0] and "sync" not in lines[0]


def test_an_idle_connection_flood_with_few_descriptors_leaves_other_clients_served(monkeypatch):
    # `ecf` under a hard descriptor limit of 300: far below max_connections (10000).
    wrapper_dir = tempfile.mkdtemp(prefix="ecf-ulimit-")
    wrapper = os.path.join(wrapper_dir, "ecf")
    with open(wrapper, "w") as f:
        f.write("#!/bin/sh\nulimit -n 300 || exit 1\nexec '%s' \"$@\"\n" % conftest.ECF)
    os.chmod(wrapper, stat.S_IRWXU)
    monkeypatch.setattr(conftest, "ECF", wrapper)
    ecf = start_standalone_without_broker(
        "max_connections_per_address: 50\nheader_timeout: 60\n")
    flood = []
    try:
        assert "max_connections lowered to 225" in ecf.log()
        for _ in range(400):
            flood.append(socket.create_connection(("127.0.0.1", ecf.port), timeout=TIMEOUT))
        # Another client (another address) is served at once.
        received, _ = raw_request(ecf.port,
                                  b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                                  source="127.0.0.2")
        assert status_of(received) == 200
        # The flood's connections past 50 were told why and closed.
        refused = 0
        for s in flood[-100:]:
            s.settimeout(TIMEOUT)
            if s.recv(4096).startswith(b"HTTP/1.1 429"):
                refused += 1
        assert refused == 100
        # Each accept failure was not a log line of its own.
        assert ecf.log().count("accept failed") <= 2
    finally:
        for s in flood:
            s.close()
        ecf.stop()


def test_healthz_and_readyz_without_a_broker():
    ecf = start_standalone_without_broker()
    try:
        health = requests.get(ecf.url + "/healthz", timeout=TIMEOUT)
        assert health.status_code == 200
        assert health.json() == {"status": "ok"}
        ready = requests.get(ecf.url + "/readyz", timeout=TIMEOUT)
        assert ready.status_code == 503
        assert ready.json() == {"detail": "Not ready: broker not connected"}
    finally:
        ecf.stop()


def test_readyz_is_200_with_the_broker_and_503_at_once_on_sigterm(make_stack, runtimes):
    stack = make_stack()
    flavour = fresh_flavour()
    runtime, = runtimes(flavour, mode="fixed", delay=2.0,
                        message={"ret_code": 0, "res": "late", "err": None})
    function_id = stack.add_function("alice")
    requirement_id = stack.add_requirement("alice", flavour)
    with requests.Session() as kept_alive:
        ready = kept_alive.get(stack.url + "/readyz", timeout=TIMEOUT)
        assert ready.status_code == 200
        assert ready.json() == {"status": "ready"}
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
            pending = pool.submit(
                requests.post, "%s/v1/functions/%s/execute" % (stack.url, function_id),
                params={"app_req_id": requirement_id, "mode": "sync"}, json=[],
                headers={"token": stack.token("alice")}, timeout=TIMEOUT)
            runtime.wait_for(1)  # the execution is in flight: the drain waits for it
            stack.ecf.process.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + TIMEOUT
            while "stopping: draining" not in stack.ecf.log() and time.monotonic() < deadline:
                time.sleep(0.01)
            draining = kept_alive.get(stack.url + "/readyz", timeout=TIMEOUT)
            assert draining.status_code == 503
            assert pending.result(timeout=TIMEOUT).status_code == 200
    assert stack.ecf.process.wait(timeout=TIMEOUT) == 0
