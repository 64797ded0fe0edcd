"""Metrics an operator reads (issue 10, item 4): each outcome of an execution moves its own
counters in /metrics, by flavour, and labels stay bounded."""
import re

import requests

from conftest import fresh_flavour

TIMEOUT = 30
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$')


def scrape(stack):
    """{(name, frozenset(labels)): value} of every sample."""
    samples = {}
    for line in requests.get(stack.url + "/metrics", timeout=TIMEOUT).text.splitlines():
        match = SAMPLE.match(line)
        if not match:
            continue
        labels = frozenset(re.findall(r'(\w+)="([^"]*)"', match.group(2) or ""))
        samples[(match.group(1), labels)] = float(match.group(3))
    return samples


def value(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())), 0.0)


def execute(stack, function_id, app_req_id, token):
    return requests.post("%s/v1/functions/%s/execute" % (stack.url, function_id),
                         params={"app_req_id": app_req_id, "mode": "sync"}, json=[],
                         headers={"token": token}, timeout=TIMEOUT)


def test_every_outcome_is_counted_by_flavour(make_stack, runtimes):
    stack = make_stack(env={"ECF_EXECUTION_TIMEOUT": "2", "ECF_QUEUE_ALLOWANCE": "0.5"})
    token = stack.token("alice")
    function_id = stack.add_function("alice")
    flavours = {name: fresh_flavour(name) for name in
                ["Ok", "RuntimeError", "Timeout", "NoRuntime"]}
    runtimes(flavours["Ok"])
    runtimes(flavours["RuntimeError"], mode="fixed", code=500, message="it broke")
    runtimes(flavours["Timeout"], mode="silent")
    requirements = {name: stack.add_requirement("alice", flavour)
                    for name, flavour in flavours.items()}

    before = scrape(stack)
    statuses = {name: execute(stack, function_id, requirements[name], token).status_code
                for name in flavours}
    rejected = execute(stack, function_id, requirements["Ok"], "not-a-token").status_code
    after = scrape(stack)

    assert statuses == {"Ok": 200, "RuntimeError": 500, "Timeout": 504, "NoRuntime": 503}
    assert rejected == 401
    outcomes = {"Ok": "ok", "RuntimeError": "runtime_error", "Timeout": "timeout",
                "NoRuntime": "no_runtime"}
    for name, outcome in outcomes.items():
        flavour = flavours[name]
        finished = "ecf_executions_finished_total"
        assert (value(after, finished, flavour=flavour, outcome=outcome) -
                value(before, finished, flavour=flavour, outcome=outcome)) == 1, name
        assert (value(after, "ecf_executions_started_total", flavour=flavour) -
                value(before, "ecf_executions_started_total", flavour=flavour)) == 1, name
        assert value(after, "ecf_executions_waiting", flavour=flavour) == 0, name
        assert value(after, "ecf_execution_duration_seconds_count", flavour=flavour) >= 1, name
    # Refused before its flavour was known: counted, but never under a user's or token's name.
    assert (value(after, "ecf_executions_finished_total", flavour="none", outcome="rejected") -
            value(before, "ecf_executions_finished_total", flavour="none",
                  outcome="rejected")) == 1
    assert value(after, "ecf_broker_connected") == 1
    assert value(after, "ecf_broker_published_total") - value(before,
                                                              "ecf_broker_published_total") >= 4
    assert value(after, "ecf_broker_results_total") - value(before,
                                                            "ecf_broker_results_total") >= 2
    assert value(after, "ecf_http_connections_open") >= 1
    assert value(after, "ecf_root_key_loads_total") >= 1
    assert value(after, "ecf_root_key_changes_total") >= 1
    assert (value(after, "ecf_document_cache_misses_total") -
            value(before, "ecf_document_cache_misses_total")) >= 8


def test_an_unreachable_broker_is_counted_as_broker_unavailable(make_stack, unused_port):
    stack = make_stack(broker="amqp://guest:guest@127.0.0.1:%d/" % unused_port)
    flavour = fresh_flavour()
    function_id = stack.add_function("alice")
    requirement_id = stack.add_requirement("alice", flavour)
    reply = execute(stack, function_id, requirement_id, stack.token("alice"))
    assert reply.status_code == 503
    after = scrape(stack)
    assert value(after, "ecf_executions_finished_total", flavour=flavour,
                 outcome="broker_unavailable") == 1
    assert value(after, "ecf_broker_connected") == 0


def test_a_flavour_that_is_no_good_label_is_counted_as_other(make_stack, runtimes):
    stack = make_stack()
    flavour = "Odd flavour/" + fresh_flavour()  # a space and a slash: no label of its own
    runtimes(flavour)
    function_id = stack.add_function("alice")
    requirement_id = stack.add_requirement("alice", flavour)
    assert execute(stack, function_id, requirement_id, stack.token("alice")).status_code == 200
    text = requests.get(stack.url + "/metrics", timeout=TIMEOUT).text
    assert "Odd flavour" not in text
    assert value(scrape(stack), "ecf_executions_finished_total", flavour="other",
                 outcome="ok") >= 1


def test_every_metric_of_the_dashboard_is_served(stack, runtimes):
    import json
    import os
    from conftest import SOURCE_DIR
    flavour = fresh_flavour()
    runtimes(flavour)
    function_id = stack.add_function("alice")
    requirement_id = stack.add_requirement("alice", flavour)
    assert execute(stack, function_id, requirement_id, stack.token("alice")).status_code == 200
    served = {name for name, _ in scrape(stack)}
    with open(os.path.join(SOURCE_DIR, "deploy", "monitoring", "grafana-dashboard.json")) as f:
        dashboard = json.load(f)
    wanted = {name for panel in dashboard["panels"] for target in panel["targets"]
              for name in re.findall(r"\b(ecf_[a-z_]+)", target["expr"])}
    assert wanted, "the dashboard names no metric"
    assert wanted <= served, sorted(wanted - served)
