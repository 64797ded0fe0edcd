"""The service around the API: many executions at once, deadlines, the broker being down,
configuration written for the original, the API documents, and a clean stop."""
import concurrent.futures
import json
import os
import signal
import subprocess
import time

import requests

from conftest import ECF, Stack, fresh_flavour, original_config

TIMEOUT = 30


def execute(stack, function_id, app_req_id, params, token, timeout=TIMEOUT):
    return requests.post("%s/v1/functions/%s/execute" % (stack.url, function_id),
                         params={"app_req_id": app_req_id, "mode": "sync"}, json=params,
                         headers={"token": token}, timeout=timeout)


def test_200_concurrent_executions_each_get_their_own_result(stack, runtimes):
    flavour = fresh_flavour()
    runtimes(flavour, consumers=8)  # echo: res is the payload as JSON text
    function_id = stack.add_function("alice")
    requirement_id = stack.add_requirement("alice", flavour)
    token = stack.token("alice")

    def one(i):
        params = ["p%d" % i, "q%d" % (i * 7)]
        with requests.Session() as session:
            reply = session.post("%s/v1/functions/%d/execute" % (stack.url, function_id),
                                 params={"app_req_id": requirement_id, "mode": "sync"},
                                 json=params, headers={"token": token}, timeout=60)
        return params, reply

    with concurrent.futures.ThreadPoolExecutor(max_workers=200) as pool:
        results = list(pool.map(one, range(200)))
    for params, reply in results:
        assert reply.status_code == 200, reply.text
        assert json.loads(reply.json()["res"])["params"] == params


def test_a_runtime_that_never_answers_gives_504_at_the_deadline(make_stack, runtimes):
    stack = make_stack(env={"ECF_EXECUTION_TIMEOUT": "1.5"})
    flavour = fresh_flavour()
    runtime, = runtimes(flavour, mode="silent")
    function_id = stack.add_function("alice")
    requirement_id = stack.add_requirement("alice", flavour)
    started = time.monotonic()
    reply = execute(stack, function_id, requirement_id, [], stack.token("alice"))
    elapsed = time.monotonic() - started
    assert reply.status_code == 504
    assert "detail" in reply.json()
    assert 1.0 <= elapsed < 10
    assert runtime.wait_for(1)[0]["body"]["payload"]["app_req_id"] == requirement_id


def test_max_function_execution_time_tightens_the_deadline(make_stack, runtimes):
    stack = make_stack(env={"ECF_QUEUE_ALLOWANCE": "0.5"})
    flavour = fresh_flavour()
    runtimes(flavour, mode="silent")
    function_id = stack.add_function("alice")
    requirement_id = stack.add_requirement("alice", flavour, max_execution_time="0.5")
    started = time.monotonic()
    reply = execute(stack, function_id, requirement_id, [], stack.token("alice"))
    assert reply.status_code == 504
    assert time.monotonic() - started < 10


def test_the_broker_being_down_gives_503(make_stack, unused_port):
    stack = make_stack(broker="http://127.0.0.1:%d" % unused_port)
    function_id = stack.add_function("alice")
    requirement_id = stack.add_requirement("alice", fresh_flavour())
    reply = execute(stack, function_id, requirement_id, [], stack.token("alice"))
    assert reply.status_code == 503
    assert "detail" in reply.json()


CONTRACT_SAMPLE = """host: 0.0.0.0
port: 1339
one_xmlrpc: http://localhost:2633/RPC2
oneflow: http://localhost:2474
cognit_frontend: http://localhost:1338
cluster_id: 0
broker: http://localhost:5672
workers: 1
log_level: info
"""


def test_the_contracts_sample_configuration_starts_unchanged(rabbitmq, opennebula,
                                                             cognit_frontend, issuer,
                                                             start_ecf, runtimes):
    # The file is contract §5's sample, byte for byte; only the environment moves the
    # addresses to this test's doubles and a free port.
    process = start_ecf(CONTRACT_SAMPLE, env={
        "ECF_HOST": "127.0.0.1", "ECF_PORT": "0", "ECF_ONE_XMLRPC": opennebula.url,
        "ECF_COGNIT_FRONTEND": cognit_frontend.url, "ECF_BROKER": rabbitmq.original_url})
    assert "listening on http://127.0.0.1:" in process.start_line
    assert "unknown configuration key" not in process.log()
    stack = Stack(process, opennebula, issuer)
    flavour = fresh_flavour()
    runtimes(flavour)
    function_id = stack.add_function("alice")
    requirement_id = stack.add_requirement("alice", flavour)
    reply = execute(stack, function_id, requirement_id, ["gAVLAi4="], stack.token("alice"))
    assert reply.status_code == 200, reply.text
    assert json.loads(reply.json()["res"])["params"] == ["gAVLAi4="]


def test_an_invalid_value_is_refused_with_one_line_naming_the_key(tmp_path):
    config = tmp_path / "ecf.conf"
    config.write_text("port: 1339\nworkers: many\n")
    result = subprocess.run([ECF, "serve", "--config", str(config)], capture_output=True,
                            text=True, timeout=30)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "'workers'" in lines[0]


def test_an_invalid_environment_override_is_refused(tmp_path):
    config = tmp_path / "ecf.conf"
    config.write_text("")
    result = subprocess.run([ECF, "serve", "--config", str(config)], capture_output=True,
                            text=True, timeout=30, env={"ECF_LOG_LEVEL": "chatty"})
    assert result.returncode == 2
    assert "'log_level'" in result.stderr


def test_unknown_keys_are_warned_about(rabbitmq, opennebula, cognit_frontend, start_ecf):
    text = original_config(rabbitmq, opennebula.url, cognit_frontend.url, "colour: blue\n")
    process = start_ecf(text)
    requests.get(process.url + "/docs", timeout=TIMEOUT)
    assert "unknown configuration key 'colour'" in process.log()


def test_without_the_issuers_key_the_service_refuses_to_start(rabbitmq, opennebula, tmp_path,
                                                              unused_port):
    config = tmp_path / "ecf.conf"
    config.write_text(original_config(rabbitmq, opennebula.url,
                                      "http://127.0.0.1:%d" % unused_port))
    result = subprocess.run([ECF, "serve", "--config", str(config)], capture_output=True,
                            text=True, timeout=60, env={"ECF_PORT": "0"})
    assert result.returncode != 0
    assert result.stderr.strip().splitlines()[-1].startswith("ecf: ")


def test_openapi_describes_every_route(stack):
    document = requests.get(stack.url + "/openapi.json", timeout=TIMEOUT).json()
    assert document["openapi"].startswith("3.")
    paths = document["paths"]
    execute_op = paths["/v1/functions/{id}/execute"]["post"]
    names = {(p["name"], p["in"]) for p in execute_op["parameters"]}
    assert names == {("id", "path"), ("app_req_id", "query"), ("mode", "query"),
                     ("token", "header")}
    assert execute_op["requestBody"]["content"]["application/json"]["schema"]["type"] == "array"
    assert "post" in paths["/v1/device_metrics"]
    for path in ("/", "/docs", "/openapi.json"):
        assert "get" in paths[path]


def test_root_redirects_to_docs_and_docs_is_self_contained(stack):
    reply = requests.get(stack.url + "/", allow_redirects=False, timeout=TIMEOUT)
    assert reply.status_code in (307, 302)
    assert reply.headers["Location"] == "/docs"
    docs = requests.get(stack.url + "/docs", timeout=TIMEOUT)
    assert docs.status_code == 200
    assert docs.headers["Content-Type"].startswith("text/html")
    assert "/openapi.json" in docs.text
    assert "<script src=" not in docs.text and "<link " not in docs.text


def test_request_ids(stack):
    mine = requests.get(stack.url + "/docs", headers={"X-Request-Id": "device-42.7"},
                        timeout=TIMEOUT)
    assert mine.headers["X-Request-Id"] == "device-42.7"
    fresh = [requests.get(stack.url + "/docs", timeout=TIMEOUT).headers["X-Request-Id"]
             for _ in range(3)]
    assert len(set(fresh)) == 3


def test_a_body_over_the_limit_is_413(make_stack):
    stack = make_stack(env={"ECF_MAX_BODY_BYTES": "1000"})
    reply = requests.post(stack.url + "/v1/functions/1/execute?app_req_id=2&mode=sync",
                          json=["x" * 5000], headers={"token": stack.token("alice")},
                          timeout=TIMEOUT)
    assert reply.status_code == 413


def test_sigterm_lets_the_request_in_flight_finish_then_exits_0(make_stack, runtimes):
    stack = make_stack()
    flavour = fresh_flavour()
    runtime, = runtimes(flavour, mode="fixed", delay=1.0,
                        message={"ret_code": 0, "res": "late", "err": None})
    function_id = stack.add_function("alice")
    requirement_id = stack.add_requirement("alice", flavour)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(execute, stack, function_id, requirement_id, [],
                              stack.token("alice"))
        runtime.wait_for(1)
        stack.ecf.process.send_signal(signal.SIGTERM)
        reply = pending.result(timeout=30)
    assert reply.status_code == 200
    assert reply.json()["res"] == "late"
    assert stack.ecf.process.wait(timeout=30) == 0


def test_metrics_count_requests_by_method_and_status(stack):
    requests.get(stack.url + "/no-such-route", timeout=TIMEOUT)
    text = requests.get(stack.url + "/metrics", timeout=TIMEOUT).text
    assert 'ecf_http_requests_total{method="GET",status="404"}' in text
    assert "ecf_http_request_duration_seconds_bucket" in text


def test_metrics_count_verified_token_cache_hits(stack):
    token = stack.token("alice")
    for _ in range(3):
        reply = requests.post(stack.url + "/v1/device_metrics", json={}, headers={"token": token},
                              timeout=TIMEOUT)
        assert reply.status_code == 200, reply.text
    text = requests.get(stack.url + "/metrics", timeout=TIMEOUT).text
    values = dict(line.split(" ", 1) for line in text.splitlines()
                  if line.startswith("ecf_token_cache_"))
    assert float(values["ecf_token_cache_hits_total"]) >= 2
    assert float(values["ecf_token_cache_misses_total"]) >= 1
    assert float(values["ecf_token_cache_entries"]) >= 1
