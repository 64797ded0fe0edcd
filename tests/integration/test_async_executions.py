"""Asynchronous executions (README "Asynchronous executions"), through the real `ecf`, a private
RabbitMQ and runtime doubles: `Prefer: respond-async` (RFC 7240) answers 202 once RabbitMQ
confirmed the request, GET /v1/executions/{id} gives the result to its owner only, and without
the header every request is answered as contract §1 says. Every wait is bounded."""
import re
import signal
import threading
import time

import requests

from conftest import fresh_flavour, leave_while_waiting, metric, wait_until

TIMEOUT = 30
UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
RESULT = {"ret_code": 0, "res": "gAVLGC4=", "err": None}


def execute(stack, function_id, requirement_id, token, mode="sync", prefer=None,
            params=("gAVLAi4=",)):
    headers = {"token": token}
    if prefer is not None:
        headers["Prefer"] = prefer
    return requests.post("%s/v1/functions/%s/execute" % (stack.url, function_id),
                         params={"app_req_id": requirement_id, "mode": mode},
                         json=list(params), headers=headers, timeout=TIMEOUT)


def result(stack, execution_id, token, wait=None):
    params = {} if wait is None else {"wait": wait}
    return requests.get("%s/v1/executions/%s" % (stack.url, execution_id), params=params,
                        headers={"token": token}, timeout=TIMEOUT)


def documents(stack, flavour, owner="alice", max_execution_time=None):
    return (stack.add_function(owner),
            stack.add_requirement(owner, flavour, max_execution_time=max_execution_time))


def accepted_id(reply):
    assert reply.status_code == 202, reply.text
    assert reply.headers["Preference-Applied"] == "respond-async"
    body = reply.json()
    assert body["status"] == "WORKING"
    execution_id = body["exec_id"]["faas_task_uuid"]
    assert UUID4.match(execution_id)
    assert reply.headers["Location"] == "/v1/executions/" + execution_id
    return execution_id


def test_mode_async_without_prefer_is_answered_as_sync(stack, runtimes):
    flavour = fresh_flavour()
    runtime, = runtimes(flavour, mode="fixed", message=RESULT)
    function_id, requirement_id = documents(stack, flavour)
    reply = execute(stack, function_id, requirement_id, stack.token("alice"), mode="async")
    assert reply.status_code == 200
    assert reply.json() == RESULT
    assert "Preference-Applied" not in reply.headers
    assert runtime.wait_for(1)[0]["body"]["mode"] == "async"


def test_respond_async_gives_202_and_the_long_poll_returns_with_the_result(stack, runtimes):
    flavour = fresh_flavour()
    runtime, = runtimes(flavour, mode="fixed", message=RESULT, delay=1.0)
    function_id, requirement_id = documents(stack, flavour)
    token = stack.token("alice")
    reply = execute(stack, function_id, requirement_id, token, prefer="respond-async")
    execution_id = accepted_id(reply)
    assert reply.json()["res"] is None
    started = time.monotonic()
    done = result(stack, execution_id, token, wait=20)
    # Returned when the result came, before the wait's bound.
    assert time.monotonic() - started < 20
    assert done.status_code == 200
    assert done.json() == {"status": "READY", "res": RESULT,
                           "exec_id": {"faas_task_uuid": execution_id}}
    # The runtime got the request of contract §4, the mode as sent.
    assert runtime.wait_for(1)[0]["body"]["request_id"] == execution_id
    # Read again: kept.
    assert result(stack, execution_id, token).json()["status"] == "READY"


def test_a_runtime_error_is_failed_with_the_runtimes_message(stack, runtimes):
    flavour = fresh_flavour()
    error = {"ret_code": -1, "res": None, "err": "ZeroDivisionError"}
    runtimes(flavour, mode="fixed", code=400, message=error)
    function_id, requirement_id = documents(stack, flavour)
    token = stack.token("alice")
    execution_id = accepted_id(execute(stack, function_id, requirement_id, token,
                                       prefer="respond-async"))
    done = result(stack, execution_id, token, wait=20)
    assert done.json()["status"] == "FAILED"
    assert done.json()["res"] == error


def test_another_users_id_is_not_found_as_an_unknown_one(stack, runtimes):
    flavour = fresh_flavour()
    runtimes(flavour, mode="fixed", message=RESULT)
    function_id, requirement_id = documents(stack, flavour)
    execution_id = accepted_id(execute(stack, function_id, requirement_id, stack.token("alice"),
                                       prefer="respond-async"))
    bob = stack.token("bob")
    theirs = result(stack, execution_id, bob, wait=1)
    unknown = result(stack, "5b0c4c33-52a1-4f4b-9e6d-1c0c8d7a3e21", bob)
    assert theirs.status_code == 404 and unknown.status_code == 404
    assert theirs.json() == unknown.json()


def test_a_malformed_id_is_422_with_detail(stack):
    token = stack.token("alice")
    for bad in ("not-an-id", "5B0C4C33-52A1-4F4B-9E6D-1C0C8D7A3E21", "x" * 36):
        reply = result(stack, bad, token)
        assert reply.status_code == 422, bad
        assert reply.json()["detail"][0]["loc"] == ["path", "id"]
    reply = result(stack, "5b0c4c33-52a1-4f4b-9e6d-1c0c8d7a3e21", token, wait="soon")
    assert reply.status_code == 422
    assert reply.json()["detail"][0]["loc"] == ["query", "wait"]


def test_the_result_needs_a_token(stack):
    reply = requests.get("%s/v1/executions/5b0c4c33-52a1-4f4b-9e6d-1c0c8d7a3e21" % stack.url,
                         timeout=TIMEOUT)
    assert reply.status_code == 400
    assert reply.json()["detail"]


def test_prefer_wait_answers_as_sync_when_fast_and_202_when_slow(stack, runtimes):
    fast, slow = fresh_flavour("Fast"), fresh_flavour("Slow")
    runtimes(fast, mode="fixed", message=RESULT)
    runtimes(slow, mode="fixed", message=RESULT, delay=6.0)
    token = stack.token("alice")
    function_id, fast_requirement = documents(stack, fast)
    _, slow_requirement = documents(stack, slow)
    reply = execute(stack, function_id, fast_requirement, token, prefer="respond-async, wait=2")
    assert reply.status_code == 200
    assert reply.json() == RESULT
    reply = execute(stack, function_id, slow_requirement, token, prefer="respond-async, wait=2")
    execution_id = accepted_id(reply)
    assert result(stack, execution_id, token, wait=20).json()["status"] == "READY"


def test_the_deadline_fails_an_async_execution_with_timeout(stack, runtimes):
    flavour = fresh_flavour()
    runtimes(flavour, mode="silent")
    function_id, requirement_id = documents(stack, flavour, max_execution_time="1")
    token = stack.token("alice")
    execution_id = accepted_id(execute(stack, function_id, requirement_id, token,
                                       prefer="respond-async"))
    done = result(stack, execution_id, token, wait=25)
    assert done.json()["status"] == "FAILED"
    assert "deadline" in done.json()["res"]["err"]


def test_async_metrics_are_published(stack):
    text = requests.get(stack.url + "/metrics", timeout=TIMEOUT).text
    for name in ("ecf_async_accepted_total", "ecf_async_store_entries", "ecf_async_store_bytes",
                 "ecf_async_store_max_entries", "ecf_async_store_max_bytes",
                 "ecf_async_evictions_total", "ecf_async_long_poll_waiters"):
        assert re.search(r"^%s \d" % name, text, re.M), name


def test_async_mode_accepted_answers_mode_async_with_202(make_stack, runtimes):
    stack = make_stack(env={"ECF_ASYNC_MODE": "accepted"})
    flavour = fresh_flavour()
    runtimes(flavour, mode="fixed", message=RESULT)
    function_id, requirement_id = documents(stack, flavour)
    token = stack.token("alice")
    execution_id = accepted_id(execute(stack, function_id, requirement_id, token, mode="async"))
    assert result(stack, execution_id, token, wait=20).json()["res"] == RESULT
    # mode=sync is untouched.
    assert execute(stack, function_id, requirement_id, token).json() == RESULT


def test_an_expired_result_is_not_found(make_stack, runtimes):
    stack = make_stack(env={"ECF_ASYNC_RESULT_TTL": "1"})
    flavour = fresh_flavour()
    runtimes(flavour, mode="fixed", message=RESULT)
    function_id, requirement_id = documents(stack, flavour)
    token = stack.token("alice")
    execution_id = accepted_id(execute(stack, function_id, requirement_id, token,
                                       prefer="respond-async"))
    wait_until(lambda: result(stack, execution_id, token).status_code == 404, 15,
               "the result expired")


def test_a_full_store_refuses_new_async_work_with_503_and_retry_after(make_stack, runtimes):
    stack = make_stack(env={"ECF_ASYNC_MAX_RESULTS": "2"})
    flavour = fresh_flavour()
    runtimes(flavour, mode="silent")
    function_id, requirement_id = documents(stack, flavour)
    token = stack.token("alice")
    kept = [accepted_id(execute(stack, function_id, requirement_id, token,
                                prefer="respond-async")) for _ in range(2)]
    reply = execute(stack, function_id, requirement_id, token, prefer="respond-async")
    assert reply.status_code == 503
    assert reply.json()["detail"]
    assert int(reply.headers["Retry-After"]) >= 1
    # The confirmed ones kept their slots.
    for execution_id in kept:
        assert result(stack, execution_id, token).json()["status"] == "WORKING"


def test_working_async_executions_count_in_the_users_waiting_bound(make_stack, runtimes):
    # Without this bound one user could fill the store with working executions, and every
    # other user's async work would get 503: they count as waiting until their result.
    stack = make_stack(env={"ECF_MAX_WAITING_EXECUTIONS_PER_USER": "2"})
    flavour = fresh_flavour()
    runtimes(flavour, mode="silent")
    function_id, requirement_id = documents(stack, flavour)
    alice = stack.token("alice")
    for _ in range(2):
        accepted_id(execute(stack, function_id, requirement_id, alice, prefer="respond-async"))
    refused = execute(stack, function_id, requirement_id, alice, prefer="respond-async")
    assert refused.status_code == 429, refused.text
    assert refused.json()["detail"]
    assert int(refused.headers["Retry-After"]) >= 1
    # Another user is not held back by alice's executions.
    bobs_function, bobs_requirement = documents(stack, flavour, owner="bob")
    accepted_id(execute(stack, bobs_function, bobs_requirement, stack.token("bob"),
                        prefer="respond-async"))


def test_the_users_bound_is_given_back_with_the_result(make_stack, runtimes):
    stack = make_stack(env={"ECF_MAX_WAITING_EXECUTIONS_PER_USER": "1"})
    flavour = fresh_flavour()
    runtimes(flavour, mode="fixed", message=RESULT)
    function_id, requirement_id = documents(stack, flavour)
    token = stack.token("alice")
    for _ in range(3):
        execution_id = accepted_id(execute(stack, function_id, requirement_id, token,
                                           prefer="respond-async"))
        assert result(stack, execution_id, token, wait=20).json()["status"] == "READY"


def test_a_result_past_the_bound_is_failed_with_the_reason(make_stack, runtimes):
    stack = make_stack(env={"ECF_ASYNC_MAX_RESULT_BYTES": "64"})
    flavour = fresh_flavour()
    runtimes(flavour, mode="fixed", message={"ret_code": 0, "res": "x" * 500, "err": None})
    function_id, requirement_id = documents(stack, flavour)
    token = stack.token("alice")
    execution_id = accepted_id(execute(stack, function_id, requirement_id, token,
                                       prefer="respond-async"))
    done = result(stack, execution_id, token, wait=20).json()
    assert done["status"] == "FAILED"
    assert "async_max_result_bytes" in done["res"]["err"]


def test_a_blocked_broker_gives_503_never_202(make_stack, rabbitmq, runtimes):
    stack = make_stack(env={"ECF_EXECUTION_TIMEOUT": "3"})
    flavour = fresh_flavour()
    runtimes(flavour, mode="fixed", message=RESULT)
    function_id, requirement_id = documents(stack, flavour)
    token = stack.token("alice")
    accepted_id(execute(stack, function_id, requirement_id, token, prefer="respond-async"))
    rabbitmq.ctl("set_vm_memory_high_watermark", "0")
    try:
        statuses = []

        def refused():
            reply = execute(stack, function_id, requirement_id, token, prefer="respond-async")
            statuses.append(reply.status_code)
            return reply.status_code == 503

        wait_until(refused, 20, "503 while the broker blocks publishers")
        # Until the ECF was told of the alarm, a publication may wait unconfirmed (then 504 at
        # its deadline); never a 202 for work RabbitMQ did not confirm.
        assert set(statuses) <= {503, 504}, statuses
    finally:
        rabbitmq.ctl("set_vm_memory_high_watermark", "0.6")
    wait_until(lambda: execute(stack, function_id, requirement_id, token,
                               prefer="respond-async").status_code == 202, 20,
               "202 again once the alarm cleared")


def working_execution(stack, runtimes):
    """An asynchronous execution of alice's that stays WORKING (its runtime never answers):
    (token, execution id)."""
    flavour = fresh_flavour()
    runtimes(flavour, mode="silent")
    function_id, requirement_id = documents(stack, flavour)
    token = stack.token("alice")
    return token, accepted_id(execute(stack, function_id, requirement_id, token,
                                      prefer="respond-async"))


def test_a_drain_ends_the_long_polls_at_once(make_stack, runtimes):
    stack = make_stack()
    token, execution_id = working_execution(stack, runtimes)
    answers = []
    poll = threading.Thread(target=lambda: answers.append(
        result(stack, execution_id, token, wait=25)))
    started = time.monotonic()
    poll.start()

    wait_until(lambda: metric(stack, "ecf_async_long_poll_waiters") == 1, 15,
               "the long poll registered")
    stack.ecf.process.send_signal(signal.SIGTERM)
    poll.join(30)
    assert answers, "the long poll did not return"
    # Answered by the drain, before its own wait's end.
    assert time.monotonic() - started < 25
    assert answers[0].status_code == 200
    assert answers[0].json()["status"] == "WORKING"


def test_a_long_poll_ends_when_its_client_leaves(stack, runtimes):
    # A device that gives up (its link dropped) must not leave its long poll holding a slot of
    # async_max_waiters* for the whole wait: closing the connection ends it (499 in the log).
    token, execution_id = working_execution(stack, runtimes)
    leave_while_waiting(
        stack, ("GET /v1/executions/%s?wait=25 HTTP/1.1\r\nHost: x\r\ntoken: %s\r\n\r\n"
                % (execution_id, token)).encode(), "ecf_async_long_poll_waiters", "the long poll")
    # The connection's end cancelled only that request: the service goes on.
    assert result(stack, execution_id, token).json()["status"] == "WORKING"
