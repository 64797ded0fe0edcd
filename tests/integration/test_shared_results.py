"""Several ECF instances share the unrouted results (src/broker/README.md, "Several
instances"): a result that RabbitMQ delivered to an instance that dies before handling it is
requeued (the shared queue is consumed with acks) and reaches its owner through another
instance. Without acks it would be lost, and its execution would end in 504. And the asynchronous
results kept by an instance that is gone answer promptly (404 when it stopped, 503 when it was
killed and its queue lingers), never at the client's timeout. Every wait is bounded."""
import json
import os
import signal
import threading
import time

import requests

from conftest import fresh_flavour, wait_until

EXECUTION_TIMEOUT_S = 30
EXECUTIONS = 8


def unacknowledged_shared_results(rabbitmq):
    for line in rabbitmq.ctl("list_queues", "name", "messages_unacknowledged").splitlines():
        fields = line.split("\t")
        if len(fields) == 2 and fields[0] == "results.shared":
            return int(fields[1])
    return 0


def test_results_held_by_an_instance_that_dies_reach_their_owner(make_stack, rabbitmq,
                                                                  runtimes):
    env = {"ECF_EXECUTION_TIMEOUT": str(EXECUTION_TIMEOUT_S),
           "ECF_QUEUE_ALLOWANCE": str(EXECUTION_TIMEOUT_S)}
    owner = make_stack(env=env)
    other = make_stack(env=env)
    flavour = fresh_flavour()
    runtimes(flavour)  # echo: `res` is the request's own payload
    function_id = owner.add_function("alice")
    requirement_id = owner.add_requirement("alice", flavour)
    token = owner.token("alice")

    def execute(params):
        return requests.post("%s/v1/functions/%s/execute" % (owner.url, function_id),
                             params={"app_req_id": requirement_id, "mode": "sync"},
                             json=params, headers={"token": token},
                             timeout=EXECUTION_TIMEOUT_S + 15)

    assert execute(["gAVLAS4="]).status_code == 200

    # The other instance stops reading: RabbitMQ still hands it its share of the results (round
    # robin over the shared queue's consumers), which it holds without acknowledging.
    os.kill(other.ecf.process.pid, signal.SIGSTOP)
    answers = [None] * EXECUTIONS

    def run(i):
        params = ["param-%d" % i]
        reply = execute(params)
        answers[i] = (reply.status_code, reply.json() if reply.status_code == 200 else reply.text,
                      params)

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(EXECUTIONS)]
    try:
        for thread in threads:
            thread.start()
        wait_until(lambda: unacknowledged_shared_results(rabbitmq) > 0, 20,
                   "a result delivered to the stopped instance and not acknowledged")
    finally:
        # Its connection closes with it: RabbitMQ requeues what it held, the owner gets it.
        os.kill(other.ecf.process.pid, signal.SIGKILL)
    for thread in threads:
        thread.join(EXECUTION_TIMEOUT_S + 20)
    for status, body, params in answers:
        assert status == 200, body
        assert json.loads(body["res"])["params"] == params, "a result reached the wrong execution"


def test_the_results_of_an_instance_that_is_gone_answer_promptly(make_stack, runtimes):
    # Each instance keeps the asynchronous results it accepted; the others ask it. Once it is
    # gone, asking it must not hang: a stopped instance (its queue deleted) is known at once to
    # be gone (404); a killed one leaves its queue until it expires, so the question goes
    # unanswered: 503 with Retry-After after the wait and a short grace, never the client's
    # timeout.
    keeper = make_stack()
    asker = make_stack()
    killed = make_stack()
    flavour = fresh_flavour()
    runtimes(flavour, mode="silent")  # never answers: they stay WORKING
    function_id = keeper.add_function("alice")
    requirement_id = keeper.add_requirement("alice", flavour)
    token = keeper.token("alice")

    def accept(stack):
        reply = requests.post("%s/v1/functions/%s/execute" % (stack.url, function_id),
                              params={"app_req_id": requirement_id, "mode": "async"},
                              json=["gAVLAS4="],
                              headers={"token": token, "Prefer": "respond-async"}, timeout=30)
        assert reply.status_code == 202, reply.text
        return reply.json()["exec_id"]["faas_task_uuid"]

    def result(execution_id, wait):
        started = time.monotonic()
        reply = requests.get("%s/v1/executions/%s" % (asker.url, execution_id),
                             params={"wait": wait}, headers={"token": token}, timeout=30)
        return reply, time.monotonic() - started

    kept = accept(keeper)
    lost = accept(killed)
    reply, _ = result(kept, 0)
    assert reply.status_code == 200 and reply.json()["status"] == "WORKING", reply.text

    keeper.ecf.stop()  # SIGTERM: a clean stop deletes its result queue
    reply, took = result(kept, 5)
    assert reply.status_code == 404, reply.text
    assert took < 4, took

    os.kill(killed.ecf.process.pid, signal.SIGKILL)
    killed.ecf.process.wait(10)
    reply, took = result(lost, 1)
    assert reply.status_code == 503, reply.text
    assert reply.headers.get("Retry-After") == "1"
    assert took < 1 + 2 + 3, took
