"""Logs an operator can search (issue 10, item 6): `log_format: json` writes one JSON object per
line; each execution's access line carries its user, function, flavour, execution id, status and
durations; a failure that becomes a 5xx leaves one warning with its cause; never a token or a
password."""
import json
import time

import requests

from conftest import USERS, fresh_flavour

TIMEOUT = 30


def execute(stack, function_id, app_req_id, token):
    return requests.post("%s/v1/functions/%s/execute" % (stack.url, function_id),
                         params={"app_req_id": app_req_id, "mode": "sync"}, json=[],
                         headers={"token": token}, timeout=TIMEOUT)


def json_lines(stack):
    lines = [line for line in stack.ecf.log().splitlines() if line.strip()]
    return [json.loads(line) for line in lines]  # every line is one JSON object


def wait_for(predicate, stack, timeout_s=10):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = [entry for entry in json_lines(stack) if predicate(entry)]
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(stack.ecf.log())


def test_json_lines_with_the_fields_of_each_execution(make_stack, runtimes):
    stack = make_stack(env={"ECF_LOG_FORMAT": "json"})
    flavour = fresh_flavour()
    runtimes(flavour)
    function_id = stack.add_function("alice")
    requirement_id = stack.add_requirement("alice", flavour)
    token = stack.token("alice")
    reply = execute(stack, function_id, requirement_id, token)
    assert reply.status_code == 200

    access = wait_for(lambda e: e.get("event") == "access" and e.get("flavour") == flavour,
                      stack)[0]
    assert access["status"] == 200
    assert access["user"] == "alice"
    assert access["function"] == str(function_id)
    assert access["app_requirement"] == str(requirement_id)
    assert access["request_id"] == reply.headers["X-Request-Id"]
    assert len(access["execution_id"]) == 36
    assert int(access["queue_ms"]) >= 0 and access["duration_ms"] >= 0
    assert set(access) >= {"time", "level"}
    # Other lines are JSON too, with a message.
    assert any("message" in entry for entry in json_lines(stack))
    log = stack.ecf.log()
    assert token not in log and USERS["alice"] not in log


def test_a_5xx_leaves_one_warning_with_its_cause(make_stack, opennebula):
    stack = make_stack(env={"ECF_LOG_FORMAT": "json"})
    function_id = stack.add_function("alice")
    requirement_id = stack.add_requirement("alice", fresh_flavour())
    opennebula.fail_everything()
    try:
        reply = execute(stack, function_id, requirement_id, stack.token("alice"))
    finally:
        opennebula.fail_everything(False)
    assert reply.status_code == 500
    request_id = reply.headers["X-Request-Id"]
    warnings = wait_for(lambda e: e.get("level") == "warning" and request_id in
                        e.get("message", ""), stack)
    assert len(warnings) == 1
    assert "internal error" in warnings[0]["message"]
    assert USERS["alice"] not in stack.ecf.log()


def test_an_outage_cannot_flood_the_log(make_stack, opennebula):
    stack = make_stack()
    function_id = stack.add_function("alice")
    requirement_id = stack.add_requirement("alice", fresh_flavour())
    token = stack.token("alice")
    opennebula.fail_everything()
    try:
        statuses = [execute(stack, function_id, requirement_id, token).status_code
                    for _ in range(30)]
    finally:
        opennebula.fail_everything(False)
    assert statuses == [500] * 30
    failures = [line for line in stack.ecf.log().splitlines()
                if " warning " in line and " failed: " in line]
    # At most one line a second (the first at once), not 30.
    assert 1 <= len(failures) < 30
