"""TLS on the back hops (issue 8, item 6): OpenNebula and the COGNIT frontend over https:// and
the broker over amqps://, each accepted with the private CA that signed the server's certificate
(backend_ca_file, broker_ca_file) and refused, with a reason that says so, when the CA is unknown
or the certificate names another host. Certificates are made at test time in a temporary folder
(tests/harness/test_certificates.py)."""
import os
import shutil
import signal
import subprocess
import tempfile
import time

import pytest
import requests

from conftest import (BUILD_DIR, EcfProcess, OpenNebula, Stack, fresh_flavour, original_config,
                      start_runtimes)
from doubles import cognit_frontend as cognit_frontend_double
from harness import test_certificates
from harness.rabbitmq import RabbitMQ

CLIENT_TIMEOUT_S = 30


@pytest.fixture(scope="module")
def certs():
    folder = tempfile.mkdtemp(prefix="ecf-tls-")
    yield test_certificates.make(folder)
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def https_opennebula(certs):
    with OpenNebula(tls=(certs["server.pem"], certs["server.key"])) as double:
        yield double


@pytest.fixture(scope="module")
def https_frontend(certs, issuer):
    double = cognit_frontend_double.start(issuer.public_key,
                                          tls=(certs["server.pem"], certs["server.key"]))
    yield double
    double.stop()


@pytest.fixture(scope="module")
def tls_rabbitmq():
    """A node of this module's own with a TLS listener (certificate from its own private CA)."""
    with RabbitMQ(tls=True) as node:
        yield node


def config_for(rabbitmq, opennebula_url, frontend_url, extra=""):
    return original_config(rabbitmq, opennebula_url, frontend_url, extra)


def start(text, env=None):
    all_env = {"ECF_PORT": "0", "ECF_DOCUMENT_CACHE_TTL": "0"}
    all_env.update(env or {})
    return EcfProcess(text, all_env)


def execute(stack, function_id, requirement_id, token):
    return requests.post("%s/v1/functions/%s/execute" % (stack.url, function_id),
                         params={"app_req_id": requirement_id, "mode": "sync"}, json=[],
                         headers={"token": token}, timeout=CLIENT_TIMEOUT_S)


def by_name(url):
    return url.replace("127.0.0.1", "localhost")


def test_https_opennebula_and_frontend_with_the_private_ca(rabbitmq, https_opennebula,
                                                          https_frontend, issuer, certs,
                                                          runtimes):
    assert https_opennebula.url.startswith("https://")
    assert https_frontend.url.startswith("https://")
    # OpenNebula by name, the frontend by address: both are checked against the certificate.
    text = config_for(rabbitmq, by_name(https_opennebula.url), https_frontend.url,
                      "backend_ca_file: %s\n" % certs["ca.pem"])
    ecf = start(text)
    try:
        stack = Stack(ecf, https_opennebula, issuer)
        flavour = fresh_flavour("Tls")
        runtimes(flavour)
        reply = execute(stack, stack.add_function("alice"), stack.add_requirement("alice", flavour),
                        stack.token("alice"))
        assert reply.status_code == 200, reply.text
        assert reply.json()["ret_code"] == 0
    finally:
        ecf.stop()


@pytest.mark.parametrize("ca", ["other-ca.pem", None])
def test_frontend_with_an_unknown_ca_stops_the_start(rabbitmq, https_opennebula, https_frontend,
                                                     certs, ca):
    # None: no backend_ca_file, the system's store, which does not know the private CA either.
    extra = "backend_ca_file: %s\n" % certs[ca] if ca else ""
    text = config_for(rabbitmq, https_opennebula.url, https_frontend.url, extra)
    with pytest.raises(RuntimeError) as refused:
        start(text)
    log = str(refused.value)
    assert "cannot load the root public key from the COGNIT frontend" in log
    assert "certificate verify failed" in log
    assert "unable to get local issuer certificate" in log


def test_frontend_certificate_for_another_host_stops_the_start(rabbitmq, https_opennebula,
                                                               issuer, certs):
    elsewhere = cognit_frontend_double.start(
        issuer.public_key, tls=(certs["elsewhere.pem"], certs["elsewhere.key"]))
    try:
        text = config_for(rabbitmq, https_opennebula.url, by_name(elsewhere.url),
                          "backend_ca_file: %s\n" % certs["ca.pem"])
        with pytest.raises(RuntimeError) as refused:
            start(text)
        assert "certificate verify failed: hostname mismatch" in str(refused.value)
    finally:
        elsewhere.stop()


def test_opennebula_with_an_unknown_ca_or_another_host_fails_the_request(
        rabbitmq, https_opennebula, issuer, certs, runtimes):
    flavour = fresh_flavour("Tls")
    runtimes(flavour)
    with OpenNebula(tls=(certs["elsewhere.pem"], certs["elsewhere.key"])) as elsewhere:
        cases = [(https_opennebula, "other-ca.pem", "unable to get local issuer certificate"),
                 (elsewhere, "ca.pem", "IP address mismatch")]
        for opennebula, ca, reason in cases:
            # The root key from the configuration: only OpenNebula is asked over TLS.
            text = config_for(rabbitmq, opennebula.url, "http://127.0.0.1:9",
                              "public_key: %s\nbackend_ca_file: %s\n" % (issuer.public_key,
                                                                          certs[ca]))
            ecf = start(text)
            try:
                stack = Stack(ecf, opennebula, issuer)
                reply = execute(stack, stack.add_function("alice"),
                                stack.add_requirement("alice", flavour), stack.token("alice"))
                assert reply.status_code == 500, reply.text
                detail = reply.json()["detail"]
                assert "certificate verify failed: " + reason in detail, detail
                assert "alice-pw" not in detail
            finally:
                ecf.stop()


def test_amqps_broker_with_its_ca_executes(tls_rabbitmq, opennebula, cognit_frontend, issuer):
    flavour = fresh_flavour("Amqps")
    # The SR double on the node's plain listener, the ECF over TLS to the same node.
    doubles = start_runtimes(tls_rabbitmq.url, flavour)
    text = config_for(tls_rabbitmq, opennebula.url, cognit_frontend.url,
                      "broker_ca_file: %s\n" % tls_rabbitmq.ca_file).replace(
                          tls_rabbitmq.original_url, tls_rabbitmq.tls_url)
    ecf = start(text)
    try:
        assert "amqps://" in ecf.start_line
        stack = Stack(ecf, opennebula, issuer)
        function_id = stack.add_function("alice")
        requirement_id = stack.add_requirement("alice", flavour)
        for _ in range(5):
            reply = execute(stack, function_id, requirement_id, stack.token("alice"))
            assert reply.status_code == 200, reply.text
    finally:
        ecf.stop()
        for double in doubles:
            double.stop()


def test_amqps_broker_with_an_unknown_ca_is_refused(tls_rabbitmq, opennebula, cognit_frontend,
                                                    issuer, certs):
    text = config_for(tls_rabbitmq, opennebula.url, cognit_frontend.url,
                      "broker_ca_file: %s\n" % certs["other-ca.pem"]).replace(
                          tls_rabbitmq.original_url, tls_rabbitmq.tls_url)
    ecf = start(text)
    try:
        stack = Stack(ecf, opennebula, issuer)
        reply = execute(stack, stack.add_function("alice"),
                        stack.add_requirement("alice", fresh_flavour("Amqps")),
                        stack.token("alice"))
        assert reply.status_code == 503, reply.text
        log = ecf.log()
        # The node sends its CA along: OpenSSL reports a self-signed certificate in the chain.
        assert "TLS certificate verify failed: self-signed certificate in certificate chain" in log
        assert "guest:guest" not in log
    finally:
        ecf.stop()


def test_ecf_runtime_over_amqps_with_its_ca(tls_rabbitmq, opennebula, cognit_frontend, issuer):
    flavour = fresh_flavour("AmqpsRuntime")
    workdir = tempfile.mkdtemp(prefix="ecf-tls-runtime-")
    broker_file = os.path.join(workdir, "broker")
    with os.fdopen(os.open(broker_file, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
        f.write(tls_rabbitmq.tls_url + "\n")
    log_path = os.path.join(workdir, "runtime.log")
    command = [os.path.join(BUILD_DIR, "ecf-runtime"), "--broker-file", broker_file,
               "--broker-ca-file", tls_rabbitmq.ca_file, "--flavour", flavour,
               "--exec", "echo '{\"ret_code\": 0, \"res\": \"tls\", \"err\": null}'"]
    with open(log_path, "w") as log:
        runtime = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while "consuming queue" not in open(log_path).read():
            assert runtime.poll() is None, open(log_path).read()
            assert time.monotonic() < deadline, open(log_path).read()
            time.sleep(0.1)
        text = config_for(tls_rabbitmq, opennebula.url, cognit_frontend.url)
        ecf = start(text)
        try:
            stack = Stack(ecf, opennebula, issuer)
            reply = execute(stack, stack.add_function("alice"),
                            stack.add_requirement("alice", flavour), stack.token("alice"))
            assert reply.status_code == 200, reply.text
            assert reply.json()["res"] == "tls"
        finally:
            ecf.stop()
    finally:
        runtime.send_signal(signal.SIGTERM)
        try:
            runtime.wait(timeout=15)
        except subprocess.TimeoutExpired:
            runtime.kill()
            runtime.wait(timeout=15)
        shutil.rmtree(workdir, ignore_errors=True)


def test_ecf_runtime_over_amqps_with_an_unknown_ca_says_why(tls_rabbitmq, certs):
    workdir = tempfile.mkdtemp(prefix="ecf-tls-runtime-")
    log_path = os.path.join(workdir, "runtime.log")
    # As the packaged service passes them: from its environment file.
    env = {"PATH": "/usr/bin:/bin", "ECF_RUNTIME_BROKER": tls_rabbitmq.tls_url,
           "ECF_RUNTIME_BROKER_CA_FILE": certs["other-ca.pem"]}
    with open(log_path, "w") as log:
        runtime = subprocess.Popen(
            [os.path.join(BUILD_DIR, "ecf-runtime"), "--flavour", fresh_flavour("AmqpsRefused"),
             "--exec", "true"],
            stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        deadline = time.monotonic() + 30
        while "certificate verify failed" not in open(log_path).read():
            assert runtime.poll() is None, open(log_path).read()
            assert time.monotonic() < deadline, open(log_path).read()
            time.sleep(0.1)
        assert "self-signed certificate in certificate chain" in open(log_path).read()
    finally:
        runtime.send_signal(signal.SIGTERM)
        try:
            runtime.wait(timeout=15)
        except subprocess.TimeoutExpired:
            runtime.kill()
            runtime.wait(timeout=15)
        shutil.rmtree(workdir, ignore_errors=True)


def test_amqps_broker_requiring_a_client_certificate(opennebula, cognit_frontend, issuer):
    with RabbitMQ(tls=True, tls_client_certificates=True) as node:
        flavour = fresh_flavour("AmqpsClient")
        doubles = start_runtimes(node.url, flavour)
        base = config_for(node, opennebula.url, cognit_frontend.url,
                          "broker_ca_file: %s\n" % node.ca_file).replace(node.original_url,
                                                                          node.tls_url)
        try:
            anonymous = start(base)
            try:
                stack = Stack(anonymous, opennebula, issuer)
                reply = execute(stack, stack.add_function("alice"),
                                stack.add_requirement("alice", flavour), stack.token("alice"))
                assert reply.status_code == 503, reply.text
                # With TLS 1.3 the broker's refusal reaches the client after its handshake, as
                # a failed login: the log names the broker.
                assert "AMQP: " in anonymous.log()
            finally:
                anonymous.stop()
            identified = start(base + "broker_cert_file: %s\nbroker_key_file: %s\n"
                               % (node.client_cert_file, node.client_key_file))
            try:
                stack = Stack(identified, opennebula, issuer)
                reply = execute(stack, stack.add_function("alice"),
                                stack.add_requirement("alice", flavour), stack.token("alice"))
                assert reply.status_code == 200, reply.text
            finally:
                identified.stop()
        finally:
            for double in doubles:
                double.stop()


def test_a_broker_client_certificate_without_its_key_stops_the_start(tls_rabbitmq, opennebula,
                                                                     cognit_frontend):
    text = config_for(tls_rabbitmq, opennebula.url, cognit_frontend.url,
                      "broker_cert_file: %s\n" % tls_rabbitmq.client_cert_file)
    with pytest.raises(RuntimeError) as refused:
        start(text)
    assert "'broker_cert_file' and 'broker_key_file' go together" in str(refused.value)


def test_a_backend_client_certificate_without_its_key_stops_the_start(
        rabbitmq, https_opennebula, https_frontend, certs):
    text = config_for(rabbitmq, https_opennebula.url, https_frontend.url,
                      "backend_ca_file: %s\nbackend_cert_file: %s\n"
                      % (certs["ca.pem"], certs["client.pem"]))
    with pytest.raises(RuntimeError) as refused:
        start(text)
    assert "a client certificate needs both its file and its key" in str(refused.value)
