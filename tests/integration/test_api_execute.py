"""Contract §1 and §4 through the real `ecf`: every row of the answer table of
POST /v1/functions/{id}/execute, and the exact message a runtime receives."""
import json
import re
import uuid

import pytest
import requests

from conftest import fresh_flavour

TIMEOUT = 30
UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def execute(stack, function_id, app_req_id, params, token=None, mode="sync", headers=None):
    all_headers = dict(headers or {})
    if token is not None:
        all_headers["token"] = token
    return requests.post("%s/v1/functions/%s/execute" % (stack.url, function_id),
                         params={"app_req_id": app_req_id, "mode": mode},
                         json=params, headers=all_headers, timeout=TIMEOUT)


def test_result_with_code_200_is_the_runtimes_message_as_is(stack, runtimes):
    flavour = fresh_flavour()
    runtimes(flavour, mode="fixed", code=200,
             message={"ret_code": 0, "res": "gAVLGC4=", "err": None})
    function_id = stack.add_function("alice")
    requirement_id = stack.add_requirement("alice", flavour)
    reply = execute(stack, function_id, requirement_id, ["gAVLAi4="], stack.token("alice"))
    assert reply.status_code == 200
    assert reply.json() == {"ret_code": 0, "res": "gAVLGC4=", "err": None}
    assert reply.headers["Content-Type"] == "application/json"
    assert reply.headers["X-Request-Id"]


def test_the_runtime_receives_the_message_of_the_contract(stack, runtimes):
    flavour = fresh_flavour()
    runtime, = runtimes(flavour)
    function_id = stack.add_function("alice", lang="PY", fc="gAWVHAIAAAAAAAA=", fc_hash="83f8")
    requirement_id = stack.add_requirement("alice", flavour)
    params = ["gAVLAi4=", "gAVLAy4="]
    reply = execute(stack, function_id, requirement_id, params, stack.token("alice"))
    assert reply.status_code == 200, reply.text
    message = runtime.wait_for(1)[0]["body"]
    assert set(message) == {"request_id", "mode", "payload"}
    assert UUID4.match(message["request_id"])
    assert message["mode"] == "sync"
    assert message["payload"] == {"lang": "PY", "fc": "gAWVHAIAAAAAAAA=", "fc_hash": "83f8",
                                  "params": params, "app_req_id": requirement_id}
    assert isinstance(message["payload"]["app_req_id"], int)


def test_async_is_passed_on_to_the_runtime(stack, runtimes):
    flavour = fresh_flavour()
    runtime, = runtimes(flavour)
    function_id = stack.add_function("alice")
    requirement_id = stack.add_requirement("alice", flavour)
    reply = execute(stack, function_id, requirement_id, [], stack.token("alice"), mode="async")
    assert reply.status_code == 200
    assert runtime.wait_for(1)[0]["body"]["mode"] == "async"


def test_each_flavour_goes_to_its_own_queue(stack, runtimes):
    flavours = [fresh_flavour(name) for name in ("Energy", "Nature", "Smart-City")]
    for flavour in flavours:
        runtimes(flavour, mode="fixed", message={"ret_code": 0, "res": flavour, "err": None})
    function_id = stack.add_function("alice")
    for flavour in flavours:
        requirement_id = stack.add_requirement("alice", flavour)
        reply = execute(stack, function_id, requirement_id, [], stack.token("alice"))
        assert reply.status_code == 200
        assert reply.json()["res"] == flavour


def test_another_code_from_the_runtime_is_passed_through_with_detail(stack, runtimes):
    flavour = fresh_flavour()
    error = {"ret_code": -1, "res": None, "err": "ZeroDivisionError"}
    runtimes(flavour, mode="fixed", code=400, message=error)
    function_id = stack.add_function("alice")
    requirement_id = stack.add_requirement("alice", flavour)
    reply = execute(stack, function_id, requirement_id, [], stack.token("alice"))
    assert reply.status_code == 400
    assert reply.json() == {"detail": error}


def test_no_token_header_is_400(stack):
    reply = execute(stack, 1, 2, [])
    assert reply.status_code == 400
    assert reply.json() == {"detail": "Missing token in header"}


@pytest.mark.parametrize("token", ["", "not-a-token", "AAAA", "Zm9vYmFy" * 40])
def test_a_token_that_does_not_verify_is_401(stack, token):
    reply = execute(stack, 1, 2, [], token)
    assert reply.status_code == 401
    assert isinstance(reply.json()["detail"], str)
    assert token == "" or token not in reply.text


def test_a_token_of_another_issuer_is_401(stack, issuer_of_other_key):
    reply = execute(stack, 1, 2, [], issuer_of_other_key.mint("alice", "alice-pw"))
    assert reply.status_code == 401


def test_an_expired_token_is_401(stack, issuer):
    token = issuer.mint("alice", "alice-pw", expires="2020-01-01T00:00:00Z")
    reply = execute(stack, 1, 2, [], token)
    assert reply.status_code == 401


def test_a_token_whose_checks_fail_is_401(stack, issuer):
    token = issuer.mint("alice", "alice-pw", extra='check if operation("never");\n')
    reply = execute(stack, 1, 2, [], token)
    assert reply.status_code == 401


@pytest.mark.parametrize("path_id, query, body", [
    ("abc", {"app_req_id": "2", "mode": "sync"}, []),
    ("1", {"mode": "sync"}, []),
    ("1", {"app_req_id": "x", "mode": "sync"}, []),
    ("1", {"app_req_id": "2"}, []),
    ("1", {"app_req_id": "2", "mode": "later"}, []),
    ("1", {"app_req_id": "2", "mode": "sync"}, {"not": "a list"}),
    ("1", {"app_req_id": "2", "mode": "sync"}, [1, 2]),
])
def test_malformed_id_query_or_body_is_422_even_without_a_token(stack, path_id, query, body):
    for headers in ({}, {"token": stack.token("alice")}):
        reply = requests.post("%s/v1/functions/%s/execute" % (stack.url, path_id), params=query,
                              json=body, headers=headers, timeout=TIMEOUT)
        assert reply.status_code == 422, reply.text
        assert isinstance(reply.json()["detail"], list)


def test_a_body_that_is_not_json_is_422(stack):
    reply = requests.post("%s/v1/functions/1/execute?app_req_id=2&mode=sync" % stack.url,
                          data="[not json", headers={"token": stack.token("alice"),
                                                     "Content-Type": "application/json"},
                          timeout=TIMEOUT)
    assert reply.status_code == 422


def test_opennebula_authentication_failure_is_401(stack, issuer):
    function_id = stack.add_function("alice")
    requirement_id = stack.add_requirement("alice", fresh_flavour())
    token = issuer.mint("alice", "wrong-password")
    reply = execute(stack, function_id, requirement_id, [], token)
    assert reply.status_code == 401, reply.text
    assert "wrong-password" not in reply.text


def test_opennebula_authorization_failure_is_403(stack):
    function_id = stack.add_function("alice")
    requirement_id = stack.add_requirement("alice", fresh_flavour())
    reply = execute(stack, function_id, requirement_id, [], stack.token("bob"))
    assert reply.status_code == 403
    assert "detail" in reply.json()


def test_no_such_document_is_404(stack):
    requirement_id = stack.add_requirement("alice", fresh_flavour())
    reply = execute(stack, 987654, requirement_id, [], stack.token("alice"))
    assert reply.status_code == 404
    assert "detail" in reply.json()


def test_a_document_of_the_wrong_type_is_404_resource_not_found(stack):
    function_id = stack.add_function("alice")
    requirement_id = stack.add_requirement("alice", fresh_flavour())
    for f, r in ((requirement_id, requirement_id), (function_id, function_id)):
        reply = execute(stack, f, r, [], stack.token("alice"))
        assert reply.status_code == 404
        assert reply.json() == {"detail": "Resource not found"}


def test_any_other_opennebula_failure_is_500(stack):
    function_id = stack.add_function("alice")
    requirement_id = stack.add_requirement("alice", fresh_flavour())
    stack.opennebula.fail_everything()
    try:
        reply = execute(stack, function_id, requirement_id, [], stack.token("alice"))
    finally:
        stack.opennebula.fail_everything(False)
    assert reply.status_code == 500
    assert "detail" in reply.json()


def test_a_requirement_without_flavour_is_422(stack):
    function_id = stack.add_function("alice")
    requirement_id = stack.add_requirement("alice", None)
    reply = execute(stack, function_id, requirement_id, [], stack.token("alice"))
    assert reply.status_code == 422
    assert "FLAVOUR" in reply.json()["detail"]


def test_device_metrics(stack):
    url = stack.url + "/v1/device_metrics"
    ok = requests.post(url, json={"cpu": 0.5}, headers={"token": stack.token("alice")},
                       timeout=TIMEOUT)
    assert ok.status_code == 200
    missing = requests.post(url, json={"cpu": 0.5}, timeout=TIMEOUT)
    assert missing.status_code == 400
    assert missing.json() == {"detail": "Missing token in header"}
    bad = requests.post(url, json={"cpu": 0.5}, headers={"token": "nope"}, timeout=TIMEOUT)
    assert bad.status_code == 401


def test_unknown_routes_and_methods_are_json(stack):
    reply = requests.get(stack.url + "/v2/nothing", timeout=TIMEOUT)
    assert reply.status_code == 404
    assert reply.json() == {"detail": "Not Found"}
    reply = requests.get(stack.url + "/v1/functions/1/execute", timeout=TIMEOUT)
    assert reply.status_code == 405
    assert reply.json() == {"detail": "Method Not Allowed"}


def test_the_log_names_the_user_but_never_a_token_or_password(stack, runtimes):
    flavour = fresh_flavour()
    runtimes(flavour)
    function_id = stack.add_function("alice")
    requirement_id = stack.add_requirement("alice", flavour)
    token = stack.token("alice")
    assert execute(stack, function_id, requirement_id, [], token).status_code == 200
    log = stack.ecf.log()
    assert "user=alice" in log
    assert token not in log
    assert "alice-pw" not in log
