"""Several ECF instances on a RabbitMQ cluster (issue 9, items 4 and 5).

Three `ecf` processes, each given the three nodes of a private RabbitMQ cluster as its `broker`
list (each starts from a random node), the OpenNebula and COGNIT frontend doubles, and SR
doubles connected to various nodes. Every response is checked against its own request (echo
runtimes: `res` is the request's own payload), so a result handed to the wrong waiter shows.

Then the node that holds the shared results queue (and the ECF instances connected to it) is
stopped while a bounded number of clients keep executing: every request is answered, with 200,
a prompt 503 (its instance's connection, or its instance's result queue, died with the node) or
504 at its deadline (its result was in the shared queue, or published while no shared queue
existed: lost with the node); nothing else, no mix-ups; afterwards every instance serves again.
The flavour queue is kept on a surviving node (the SR doubles do not declare it again: a real
SR would reconnect, these do not). Every wait is bounded.

An asynchronous execution accepted by one instance is fetched from each of the others (they ask
the instance that keeps it, through RabbitMQ)."""
import json
import re
import threading
import time

import pytest
import requests

from conftest import EcfProcess, Stack, fresh_flavour, metric, wait_until
from doubles.serverless_runtime import ServerlessRuntimeDouble
from harness.rabbitmq import RabbitMQCluster

EXECUTION_TIMEOUT_S = 12
CLIENT_TIMEOUT_S = EXECUTION_TIMEOUT_S + 15
INSTANCES = 3
ASYNC_EXECUTIONS = 30


@pytest.fixture(scope="module")
def cluster():
    with RabbitMQCluster(3) as running:
        yield running


@pytest.fixture(scope="module")
def instances(cluster, opennebula, cognit_frontend, issuer):
    started = []
    try:
        for _ in range(INSTANCES):
            text = ("host: 127.0.0.1\nport: 1339\none_xmlrpc: %s\ncognit_frontend: %s\n"
                    "broker: [%s]\nworkers: 2\nlog_level: info\n"
                    % (opennebula.url, cognit_frontend.url, ", ".join(cluster.urls)))
            env = {"ECF_DOCUMENT_CACHE_TTL": "0",
                   "ECF_EXECUTION_TIMEOUT": str(EXECUTION_TIMEOUT_S),
                   "ECF_QUEUE_ALLOWANCE": str(EXECUTION_TIMEOUT_S)}
            started.append(Stack(EcfProcess(text, env), opennebula, issuer))
        for stack in started:
            wait_until(lambda stack=stack: ready(stack), 60, "instance ready")
        yield started
    finally:
        for stack in started:
            stack.ecf.stop()


def ready(stack):
    try:
        return requests.get(stack.url + "/readyz", timeout=5).status_code == 200
    except requests.RequestException:
        return False


def connected_port(stack):
    """The AMQP port of the node the instance last connected to (from its log)."""
    ports = re.findall(r"message broker amqp://\S+@127\.0\.0\.1:(\d+)/\S*: connected",
                       stack.ecf.log())
    return int(ports[-1]) if ports else None


def queue_node(cluster, queue):
    """The index of the node that holds `queue` (a classic queue lives on one node)."""
    for line in cluster.ctl("list_queues", "name", "pid").splitlines():
        fields = line.split("\t")
        if len(fields) == 2 and fields[0] == queue:
            for index, node in enumerate(cluster.nodes):
                if "<" + node.nodename + "." in fields[1]:
                    return index
    return None


def execute(stack, function_id, requirement_id, token, params):
    return requests.post("%s/v1/functions/%s/execute" % (stack.url, function_id),
                         params={"app_req_id": requirement_id, "mode": "sync"},
                         json=list(params), headers={"token": token},
                         timeout=CLIENT_TIMEOUT_S)


class Load:
    """`clients` threads, each executing in a loop through the instances in turn until stopped
    (at most `max_per_client` executions each). Records (started, finished, status, ok) where ok
    says the result is the request's own."""

    def __init__(self, instances, function_ids, requirement_ids, tokens, clients, max_per_client):
        self.records = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = []
        for c in range(clients):
            thread = threading.Thread(
                target=self._loop, daemon=True,
                args=(c, instances, function_ids, requirement_ids, tokens, max_per_client))
            self._threads.append(thread)

    def _loop(self, c, instances, function_ids, requirement_ids, tokens, max_per_client):
        for n in range(max_per_client):
            if self._stop.is_set():
                return
            i = (c + n) % len(instances)
            params = ["c%d-n%d" % (c, n)]
            started = time.monotonic()
            try:
                reply = execute(instances[i], function_ids[i], requirement_ids[i], tokens[i],
                                params)
                status = reply.status_code
                ok = status != 200 or json.loads(reply.json()["res"])["params"] == params
            except requests.RequestException:
                status, ok = None, True
            with self._lock:
                self.records.append((started, time.monotonic(), status, ok))

    def start(self):
        for thread in self._threads:
            thread.start()
        return self

    def count(self, since=None):
        with self._lock:
            return sum(1 for r in self.records if since is None or r[0] >= since)

    def stop(self, limit_s):
        self._stop.set()
        return self.join(limit_s)

    def join(self, limit_s):
        deadline = time.monotonic() + limit_s
        for thread in self._threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
        return not any(thread.is_alive() for thread in self._threads)


def documents(instances, flavour):
    token = instances[0].token("alice")
    function_id = instances[0].add_function("alice")
    requirement_id = instances[0].add_requirement("alice", flavour)
    return ([function_id] * len(instances), [requirement_id] * len(instances),
            [token] * len(instances))


def test_every_instance_gets_its_own_results(cluster, instances):
    assert len(cluster.running_nodes()) == 3
    flavour = fresh_flavour("Cluster")
    doubles = [ServerlessRuntimeDouble(url, flavour).start() for url in cluster.urls]
    try:
        function_ids, requirement_ids, tokens = documents(instances, flavour)
        load = Load(instances, function_ids, requirement_ids, tokens, clients=12,
                    max_per_client=15).start()
        assert load.join(3 * CLIENT_TIMEOUT_S), "a client still waits"
        assert len(load.records) == 12 * 15
        statuses = [r[2] for r in load.records]
        assert statuses == [200] * len(statuses), sorted(set(statuses), key=str)
        assert all(r[3] for r in load.records), "a response carried another request's result"
        # Each result reached its own instance once: taken from the shared queue by whichever
        # instance RabbitMQ chose and forwarded when not its own, never handed to all.
        def total(name):
            return sum(metric(s, name, absent=0.0) for s in instances)
        forwarded = total("ecf_broker_forwarded_results_total")
        dropped = total("ecf_broker_dropped_results_total")
        results = total("ecf_broker_results_total")
        assert results >= len(load.records)
        assert forwarded > 0
        # Through the fanout each result would reach all 3 instances: 2 drops per execution.
        # Shared, only a probe that came back after its 1 s wait may be dropped.
        assert dropped <= INSTANCES, dropped
        routing = [metric(s, 'ecf_broker_results_routing{mode="alternate_exchange"}', absent=0.0)
                   for s in instances]
        assert routing == [1.0] * INSTANCES, routing
    finally:
        for double in doubles:
            double.stop()


def execute_async(stack, function_id, requirement_id, token):
    reply = requests.post("%s/v1/functions/%s/execute" % (stack.url, function_id),
                          params={"app_req_id": requirement_id, "mode": "async"},
                          json=["async"], headers={"token": token, "Prefer": "respond-async"},
                          timeout=CLIENT_TIMEOUT_S)
    assert reply.status_code == 202, reply.text
    return reply.json()["exec_id"]["faas_task_uuid"]


def result(stack, execution_id, token, wait=None):
    params = {} if wait is None else {"wait": wait}
    return requests.get("%s/v1/executions/%s" % (stack.url, execution_id), params=params,
                        headers={"token": token}, timeout=CLIENT_TIMEOUT_S)


def test_an_async_execution_is_fetched_from_every_instance(cluster, instances):
    flavour = fresh_flavour("ClusterAsync")
    doubles = [ServerlessRuntimeDouble(cluster.urls[0], flavour, delay=1.5).start()]
    try:
        function_ids, requirement_ids, tokens = documents(instances, flavour)
        bob = instances[0].token("bob")
        for owner in range(INSTANCES):
            execution_id = execute_async(instances[owner], function_ids[owner],
                                         requirement_ids[owner], tokens[owner])
            others = [i for i in range(INSTANCES) if i != owner]
            # While it runs, every other instance tells its owner it is working (asked through
            # RabbitMQ), and no one else that it exists.
            for i in others:
                working = result(instances[i], execution_id, tokens[i])
                assert working.status_code == 200, working.text
                assert working.json()["status"] == "WORKING"
                assert result(instances[i], execution_id, bob).status_code == 404
            # A long poll through another instance returns with the result.
            started = time.monotonic()
            done = result(instances[others[0]], execution_id, tokens[0], wait=20)
            assert done.status_code == 200, done.text
            assert done.json()["status"] == "READY"
            # `res` is the runtime's message; the echo runtime's own `res` is the request.
            assert json.loads(done.json()["res"]["res"])["params"] == ["async"]
            assert time.monotonic() - started < 10
            # And each instance gives the same result afterwards.
            for i in range(INSTANCES):
                again = result(instances[i], execution_id, tokens[i])
                assert again.status_code == 200 and again.json() == done.json(), again.text
        # An id no instance minted (its tag names no queue): 404 at once, not a wait.
        unknown = "00000000-0000-4000-8000-ffff00000000"
        started = time.monotonic()
        assert result(instances[0], unknown, tokens[0], wait=5).status_code == 404
        assert time.monotonic() - started < 4
    finally:
        for double in doubles:
            double.stop()


def test_a_node_stopped_under_load(cluster, instances):
    shared = queue_node(cluster, "results.shared")
    assert shared is not None, cluster.ctl("list_queues", "name", "pid")
    victim = shared
    survivors = [i for i in range(3) if i != victim]
    flavour = fresh_flavour("Failover")
    # The first SR declares the flavour queue on a surviving node; one SR is on the victim.
    doubles = [ServerlessRuntimeDouble(cluster.urls[survivors[0]], flavour, delay=0.2).start(),
               ServerlessRuntimeDouble(cluster.urls[survivors[1]], flavour, delay=0.2).start(),
               ServerlessRuntimeDouble(cluster.urls[victim], flavour, delay=0.2).start()]
    on_victim = [s for s in instances if connected_port(s) == cluster.nodes[victim].port]
    load = None
    try:
        assert queue_node(cluster, flavour) == survivors[0]
        function_ids, requirement_ids, tokens = documents(instances, flavour)
        load = Load(instances, function_ids, requirement_ids, tokens, clients=9,
                    max_per_client=400).start()
        wait_until(lambda: load.count() >= 30, 60, "30 executions before the stop")
        # Asynchronous executions too, accepted on every instance just before and while the
        # node stops.
        accepted = []  # (instance, id, accepted at)
        async_statuses = {}
        stopping = threading.Event()

        def submit_async():
            for n in range(ASYNC_EXECUTIONS):
                if stopping.is_set() and n % 3 == 0:
                    time.sleep(0.2)
                i = n % INSTANCES
                try:
                    reply = requests.post(
                        "%s/v1/functions/%s/execute" % (instances[i].url, function_ids[i]),
                        params={"app_req_id": requirement_ids[i], "mode": "async"},
                        json=["async-%d" % n],
                        headers={"token": tokens[i], "Prefer": "respond-async"},
                        timeout=CLIENT_TIMEOUT_S)
                except requests.RequestException:
                    continue
                async_statuses[reply.status_code] = async_statuses.get(reply.status_code, 0) + 1
                if reply.status_code == 202:
                    accepted.append((i, reply.json()["exec_id"]["faas_task_uuid"],
                                     time.monotonic()))

        submitter = threading.Thread(target=submit_async, daemon=True)
        submitter.start()
        stop_started = time.monotonic()
        stopping.set()
        cluster.stop_node(victim)
        stop_done = time.monotonic()
        wait_until(lambda: all(ready(s) for s in instances), 60, "every instance ready again")
        for stack in on_victim:
            assert connected_port(stack) != cluster.nodes[victim].port
        # Every instance has reconnected. A redeclaration may still fail for a moment (the dead
        # node's queue records go away asynchronously: "home node down"), so "after" is when an
        # execution through each instance succeeded, not a fixed delay (slow under ASan).
        last_answer = {}

        def serves_again(i):
            try:
                reply = execute(instances[i], function_ids[i], requirement_ids[i], tokens[i],
                                ["probe"])
            except requests.RequestException as e:
                last_answer[i] = repr(e)
                return False
            last_answer[i] = "%d %s" % (reply.status_code, reply.text[:200])
            return reply.status_code == 200
        for i in range(len(instances)):
            try:
                wait_until(lambda i=i: serves_again(i), 120, "instance %d serves again" % i)
            except AssertionError:
                # What it answered last, and what it logged: why it does not serve.
                print("instance %d last answered: %s" % (i, last_answer.get(i)))
                # Every instance's broker lines (not the access log's).
                for j, stack in enumerate(instances):
                    print("=== instance %d" % j)
                    print("\n".join(line for line in stack.ecf.log().splitlines()
                                    if " access " not in line and "memory trimmed" not in line
                                    and "forwarded result" not in line)[-20000:])
                print(cluster.ctl("list_queues", "name", "pid", "consumers"))
                print(cluster.ctl("list_consumers"))
                print(cluster.ctl("list_connections", "name", "port", "peer_port", "state"))
                raise
        after = time.monotonic()
        # Past every deadline of the requests in flight at the stop, and 30 more done.
        wait_until(lambda: time.monotonic() > stop_done + EXECUTION_TIMEOUT_S + 1
                   and load.count(since=after) >= 30, CLIENT_TIMEOUT_S + 60,
                   "executions after the reconnection")
        assert load.stop(CLIENT_TIMEOUT_S + 10), "a client still waits"
        records = list(load.records)
        by_status = {}
        for r in records:
            by_status[r[2]] = by_status.get(r[2], 0) + 1
        failed = [r for r in records if r[2] != 200]
        print("statuses:", by_status, "instances on the stopped node:", len(on_victim),
              "non-200 from %+.1f s to %+.1f s of the stop (which took %.1f s)"
              % (min(r[0] for r in failed) - stop_started,
                 max(r[1] for r in failed) - stop_started, stop_done - stop_started)
              if failed else "")
        assert set(by_status) <= {200, 503, 504}, by_status
        assert all(r[3] for r in records), "a response carried another request's result"
        for started, finished, status, _ in records:
            if status == 503:
                # Prompt: never the deadline's wait (a 503 at the deadline would be a hang).
                assert finished - started < EXECUTION_TIMEOUT_S - 2, (started, finished)
            if status == 504:
                # Only a request in flight when the node went: its result was lost with it.
                assert started <= stop_done, (started, stop_started, stop_done)
        # Every confirmed asynchronous execution ends READY or FAILED (with its reason) by its
        # deadline, read through another instance than the one that accepted it: none lost.
        submitter.join(CLIENT_TIMEOUT_S * 2)
        assert not submitter.is_alive()
        assert set(async_statuses) <= {202, 503}, async_statuses
        assert accepted, async_statuses
        for i, execution_id, at in accepted:
            other = instances[(i + 1) % INSTANCES]
            left = max(0.0, at + EXECUTION_TIMEOUT_S + 2 - time.monotonic())
            reply = requests.get("%s/v1/executions/%s" % (other.url, execution_id),
                                 params={"wait": int(left) + 1}, headers={"token": tokens[i]},
                                 timeout=CLIENT_TIMEOUT_S + 10)
            assert reply.status_code == 200, reply.text
            body = reply.json()
            assert body["status"] in ("READY", "FAILED"), body
            if body["status"] == "FAILED":
                assert body["res"]["err"], body
        print("async:", async_statuses, "ended:",
              sorted(requests.get("%s/v1/executions/%s" % (instances[i].url, e),
                                  headers={"token": tokens[i]}, timeout=30).json()["status"]
                     for i, e, _ in accepted))
        # Once reconnected, every instance serves again.
        late = [r for r in records if r[0] >= after]
        assert late and all(r[2] == 200 for r in late), late
        for i, stack in enumerate(instances):
            reply = execute(stack, function_ids[i], requirement_ids[i], tokens[i], ["after"])
            assert reply.status_code == 200, reply.text
            assert json.loads(reply.json()["res"])["params"] == ["after"]
    finally:
        if load is not None:
            load.stop(CLIENT_TIMEOUT_S + 10)
        for double in doubles:
            double.stop()
        cluster.start_node(victim)
