"""One deadline per execution, from the request's arrival (issue 7, item 4): the token, both
document reads, the queue and the runtime all spend from `execution_timeout`; a slow OpenNebula
is bounded by it and by `one_timeout`, and the first failing document read ends the request
without waiting for the other one."""
import json
import re
import time

import requests

from conftest import fresh_flavour, leave_while_waiting

# Far longer than any deadline below: a request that waits for it has no deadline at all.
SLOW_ONE_S = 60
CLIENT_TIMEOUT_S = 30


def execute(stack, function_id, app_req_id, token):
    return requests.post("%s/v1/functions/%s/execute" % (stack.url, function_id),
                         params={"app_req_id": app_req_id, "mode": "sync"}, json=[],
                         headers={"token": token}, timeout=CLIENT_TIMEOUT_S)


def test_a_slow_document_read_ends_at_the_execution_deadline(make_stack, runtimes):
    stack = make_stack(env={"ECF_EXECUTION_TIMEOUT": "2", "ECF_ONE_TIMEOUT": "60"})
    flavour = fresh_flavour()
    runtimes(flavour)
    function_id = stack.add_function("alice")
    requirement_id = stack.add_requirement("alice", flavour)
    stack.opennebula.double.set_document_delay(function_id, SLOW_ONE_S)
    try:
        started = time.monotonic()
        reply = execute(stack, function_id, requirement_id, stack.token("alice"))
        elapsed = time.monotonic() - started
    finally:
        stack.opennebula.double.set_document_delay(function_id, 0)
    assert reply.status_code == 504, reply.text
    assert "detail" in reply.json()
    # Answered at the 2 s deadline, not when OpenNebula answers (60 s).
    assert elapsed < SLOW_ONE_S / 2


def test_one_timeout_bounds_each_opennebula_call(make_stack, runtimes):
    stack = make_stack(env={"ECF_EXECUTION_TIMEOUT": "120", "ECF_ONE_TIMEOUT": "1"})
    flavour = fresh_flavour()
    runtimes(flavour)
    function_id = stack.add_function("alice")
    requirement_id = stack.add_requirement("alice", flavour)
    stack.opennebula.double.set_document_delay(requirement_id, SLOW_ONE_S)
    try:
        started = time.monotonic()
        reply = execute(stack, function_id, requirement_id, stack.token("alice"))
        elapsed = time.monotonic() - started
    finally:
        stack.opennebula.double.set_document_delay(requirement_id, 0)
    # OpenNebula's failures other than authentication, authorization and existence are 500
    # (contract §1); the detail names OpenNebula and never the session.
    assert reply.status_code == 500, reply.text
    assert "OpenNebula" in reply.json()["detail"]
    assert "alice-pw" not in reply.text
    assert elapsed < SLOW_ONE_S / 2


def test_a_missing_function_is_answered_without_waiting_for_the_requirement(make_stack):
    stack = make_stack(env={"ECF_EXECUTION_TIMEOUT": "120", "ECF_ONE_TIMEOUT": "60"})
    requirement_id = stack.add_requirement("alice", fresh_flavour())
    missing_function_id = stack.add_function("alice")
    stack.opennebula.double.remove_document(missing_function_id)
    stack.opennebula.double.set_document_delay(requirement_id, SLOW_ONE_S)
    try:
        started = time.monotonic()
        reply = execute(stack, missing_function_id, requirement_id, stack.token("alice"))
        elapsed = time.monotonic() - started
    finally:
        stack.opennebula.double.set_document_delay(requirement_id, 0)
    assert reply.status_code == 404, reply.text
    assert elapsed < SLOW_ONE_S / 2


def test_a_sync_execution_ends_when_its_client_leaves(make_stack, runtimes):
    # A device whose link dropped must not leave its execution holding a waiting slot (of
    # max_waiting_executions and of its user's bound) until the deadline: closing the
    # connection cancels the wait in the broker (499 in the access log).
    stack = make_stack(env={"ECF_EXECUTION_TIMEOUT": "60"})
    flavour = fresh_flavour()
    runtimes(flavour, mode="silent")
    function_id = stack.add_function("alice")
    requirement_id = stack.add_requirement("alice", flavour)
    body = json.dumps([]).encode()
    leave_while_waiting(
        stack,
        ("POST /v1/functions/%s/execute?app_req_id=%s&mode=sync HTTP/1.1\r\nHost: x\r\n"
         "token: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
         % (function_id, requirement_id, stack.token("alice"), len(body))).encode() + body,
        "ecf_broker_waiting_executions", "the execution")
    metrics = requests.get(stack.url + "/metrics", timeout=CLIENT_TIMEOUT_S).text
    assert re.search(r'^ecf_executions_finished_total\{[^}]*outcome="client_left"[^}]*\} 1$',
                     metrics, re.M), "counted as client_left"
    # Only that request ended: the next one is served as usual.
    echo = fresh_flavour()
    runtimes(echo)
    reply = execute(stack, stack.add_function("alice"), stack.add_requirement("alice", echo),
                    stack.token("alice"))
    assert reply.status_code == 200, reply.text
