"""The broker side of the ECF through the real `ecf` (contract §4): the properties of an
execution request, duplicates, deadlines, an unreachable or restarting broker, `results`
declared plainly with and without the policy of the fast path, and a flavour queue declared with
other properties. Uses the fixtures of conftest.py; tests that need a broker of their own start a
private node through tests/harness/rabbitmq.py."""
import json
import time

import pika
import pytest
import requests

from conftest import _start_stack, fresh_flavour, start_runtimes
from harness.rabbitmq import RabbitMQ

TIMEOUT = 30


def execute(stack, function_id, requirement_id, params, token, timeout=TIMEOUT):
    return requests.post("%s/v1/functions/%s/execute" % (stack.url, function_id),
                         params={"app_req_id": requirement_id, "mode": "sync"}, json=params,
                         headers={"token": token}, timeout=timeout)


def one_execution(stack, flavour, params=("gAVLAi4=",), max_execution_time=None, timeout=TIMEOUT):
    function_id = stack.add_function("alice")
    requirement_id = stack.add_requirement("alice", flavour, max_execution_time)
    return execute(stack, function_id, requirement_id, list(params), stack.token("alice"),
                   timeout)


def test_request_properties_help_operators(stack, runtimes):
    flavour = fresh_flavour()
    runtime, = runtimes(flavour)
    reply = one_execution(stack, flavour)
    assert reply.status_code == 200, reply.text
    record = runtime.wait_for(1)[0]
    properties = record["properties"]
    assert properties["content_type"] == "application/json"
    assert properties["correlation_id"] == record["body"]["request_id"]
    # The time left to the deadline (120 s by default), in ms: stale requests expire in queue.
    assert 0 < int(properties["expiration"]) <= 120_000


def test_a_duplicate_result_is_ignored(stack, runtimes):
    flavour = fresh_flavour()
    runtimes(flavour, mode="duplicate")
    for i in range(3):
        reply = one_execution(stack, flavour, params=["p%d" % i])
        assert reply.status_code == 200, reply.text
        assert json.loads(reply.json()["res"])["params"] == ["p%d" % i]


def test_deadline_gives_504_at_once_and_the_next_request_gets_its_own_result(make_stack,
                                                                             runtimes):
    stack = make_stack(env={"ECF_EXECUTION_TIMEOUT": "1", "ECF_QUEUE_ALLOWANCE": "0"})
    flavour = fresh_flavour()
    slow, = runtimes(flavour, delay=1.5)
    started = time.monotonic()
    reply = one_execution(stack, flavour, params=["late"])
    elapsed = time.monotonic() - started
    assert reply.status_code == 504, reply.text
    assert 0.9 <= elapsed < 1.5 + 1.0
    slow.wait_for(1)
    time.sleep(1.0)  # the late result arrives now, for nobody
    slow.stop()
    runtimes(flavour)
    reply = one_execution(stack, flavour, params=["fresh"])
    assert reply.status_code == 200, reply.text
    assert json.loads(reply.json()["res"])["params"] == ["fresh"]


def test_an_unreachable_broker_is_503_at_once(make_stack, unused_port):
    stack = make_stack(broker="http://127.0.0.1:%d" % unused_port)
    started = time.monotonic()
    reply = one_execution(stack, fresh_flavour())
    assert reply.status_code == 503, reply.text
    assert time.monotonic() - started < 2.0
    assert "detail" in reply.json()


def messages_in(url, queue):
    connection = pika.BlockingConnection(pika.URLParameters(url))
    try:
        return connection.channel().queue_declare(queue, passive=True).method.message_count
    finally:
        connection.close()


def test_a_flavour_without_consumer_gets_503_with_retry_after_once_its_queue_allowance_passes(
        make_stack, runtimes, rabbitmq):
    stack = make_stack(env={"ECF_EXECUTION_TIMEOUT": "30", "ECF_QUEUE_ALLOWANCE": "1"})
    flavour = fresh_flavour("Nobody")
    started = time.monotonic()
    reply = one_execution(stack, flavour, params=["never"])
    elapsed = time.monotonic() - started
    assert reply.status_code == 503, reply.text
    assert flavour in reply.json()["detail"]
    assert int(reply.headers["Retry-After"]) >= 1
    assert 0.9 <= elapsed < 10
    # The request expired in the queue: a runtime that comes now never runs it.
    deadline = time.monotonic() + 10
    while messages_in(rabbitmq.url, flavour) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert messages_in(rabbitmq.url, flavour) == 0
    runtime, = runtimes(flavour)
    reply = one_execution(stack, flavour, params=["later"])
    assert reply.status_code == 200, reply.text
    assert [r["body"]["payload"]["params"] for r in runtime.received] == [["later"]]


def test_a_flavour_queue_with_other_properties_fails_only_its_requests(stack, runtimes, rabbitmq):
    bad = fresh_flavour("Durable")
    connection = pika.BlockingConnection(pika.URLParameters(rabbitmq.url))
    connection.channel().queue_declare(bad, durable=True)
    good = fresh_flavour()
    runtimes(good)
    reply = one_execution(stack, bad)
    assert reply.status_code == 500, reply.text
    assert bad in reply.json()["detail"]
    assert one_execution(stack, good).status_code == 200
    assert one_execution(stack, bad).status_code == 500
    assert one_execution(stack, good).status_code == 200
    connection.channel().queue_delete(bad)
    connection.close()


@pytest.fixture
def private_node():
    with RabbitMQ() as node:
        yield node


@pytest.fixture
def node_without_policy():
    """A node without the harness's policy on `results`: no fast path."""
    with RabbitMQ(results_policy=False) as node:
        yield node


POLICY_COMMAND = ("rabbitmqctl set_policy --apply-to exchanges ecf-results '^results$' "
                  "'{\"alternate-exchange\":\"results.unrouted\"}'")


def declare_results_as_the_original(url):
    """The original ECF's declaration of `results` (contract §4): refused if ours differs."""
    connection = pika.BlockingConnection(pika.URLParameters(url))
    try:
        connection.channel().exchange_declare("results", exchange_type="direct")
    finally:
        connection.close()


def results_routing_metric(stack):
    text = requests.get(stack.url + "/metrics", timeout=TIMEOUT).text
    return {mode: line.rsplit(" ", 1)[1] for line in text.splitlines()
            for mode in ("alternate_exchange", "per_request_bindings")
            if line.startswith('ecf_broker_results_routing{mode="%s"}' % mode)}


def run_executions(node, opennebula, cognit_frontend, issuer, count):
    declare_results_as_the_original(node.url)
    stack = _start_stack(node, opennebula, cognit_frontend, issuer)
    doubles = []
    try:
        declare_results_as_the_original(node.url)
        flavour = fresh_flavour()
        doubles = start_runtimes(node.url, flavour, consumers=2)
        for i in range(count):
            reply = one_execution(stack, flavour, params=["r%d" % i])
            assert reply.status_code == 200, reply.text
            assert json.loads(reply.json()["res"])["params"] == ["r%d" % i]
        declare_results_as_the_original(node.url)
        return stack.ecf.log(), results_routing_metric(stack)
    finally:
        for double in doubles:
            double.stop()
        stack.ecf.stop()


def test_results_declared_plainly_with_the_policy_takes_the_fast_path(private_node, opennebula,
                                                                      cognit_frontend, issuer):
    log, metric = run_executions(private_node, opennebula, cognit_frontend, issuer, 10)
    assert metric == {"alternate_exchange": "1", "per_request_bindings": "0"}
    assert "no broker operation per request" in log
    assert "set_policy" not in log


def test_results_declared_plainly_without_the_policy_binds_each_request(node_without_policy,
                                                                        opennebula,
                                                                        cognit_frontend, issuer):
    log, metric = run_executions(node_without_policy, opennebula, cognit_frontend, issuer, 10)
    assert metric == {"alternate_exchange": "0", "per_request_bindings": "1"}
    assert "one binding per request" in log
    assert log.count(POLICY_COMMAND) == 1, log


def test_the_ecf_reconnects_after_the_broker_restarts(private_node, opennebula, cognit_frontend,
                                                      issuer):
    stack = _start_stack(private_node, opennebula, cognit_frontend, issuer)
    doubles = []
    try:
        flavour = fresh_flavour()
        doubles = start_runtimes(private_node.url, flavour)
        assert one_execution(stack, flavour).status_code == 200
        for double in doubles:
            double.stop()
        private_node.restart()
        doubles = start_runtimes(private_node.url, flavour)
        deadline = time.monotonic() + 30
        status = None
        while time.monotonic() < deadline:
            status = one_execution(stack, flavour, timeout=10).status_code
            if status == 200:
                break
            assert status == 503
            time.sleep(0.2)
        assert status == 200
    finally:
        for double in doubles:
            double.stop()
        stack.ecf.stop()


def test_a_user_at_the_waiting_limit_gets_429_and_others_still_run(make_stack, runtimes):
    import concurrent.futures
    stack = make_stack(env={"ECF_MAX_WAITING_EXECUTIONS_PER_USER": "2",
                            "ECF_EXECUTION_TIMEOUT": "5"})
    flavour = fresh_flavour()
    runtimes(flavour, mode="silent")  # holds every execution until its deadline
    alice_function = stack.add_function("alice")
    alice_requirement = stack.add_requirement("alice", flavour)
    bob_function = stack.add_function("bob")
    bob_requirement = stack.add_requirement("bob", flavour)

    def run(function_id, requirement_id, user):
        return requests.post("%s/v1/functions/%s/execute" % (stack.url, function_id),
                             params={"app_req_id": requirement_id, "mode": "sync"}, json=[],
                             headers={"token": stack.token(user)}, timeout=30)

    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        held = [pool.submit(run, alice_function, alice_requirement, "alice") for _ in range(2)]
        # Bounded wait until both of alice's executions are held by the runtime.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and "ecf_executions_waiting" not in \
                requests.get(stack.url + "/metrics", timeout=10).text:
            time.sleep(0.05)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not any(
                line.startswith("ecf_broker_waiting_executions ") and float(line.split()[1]) >= 2
                for line in requests.get(stack.url + "/metrics", timeout=10).text.splitlines()):
            time.sleep(0.05)
        third = run(alice_function, alice_requirement, "alice")
        bobs = pool.submit(run, bob_function, bob_requirement, "bob")
        assert third.status_code == 429, third.text
        assert "Retry-After" in third.headers
        assert third.json()["detail"]
        # Bob is not limited by alice: his execution waits (and times out like alice's).
        assert bobs.result().status_code == 504
        assert [f.result().status_code for f in held] == [504, 504]
