#!/usr/bin/python3
"""Measures what reading an asynchronous result through another instance costs (issue 9 item 4):
two `ecf` instances on one private RabbitMQ, one finished asynchronous execution accepted by the
first; then N sequential `GET /v1/executions/{id}` (one kept-alive connection each) through the
instance that keeps it and through the other one, which asks it through RabbitMQ. Reports the
latency percentiles of each and their ratio, and the broker's CPU per remote read (beam.smp's
utime + stime over the remote run, /proc/<pid>/stat).

Usage: bench/cluster/async_lookup.py [--build-dir build] [--reads 2000]
Not a test: figures only (bench/RESULTS.md). Starts everything itself on 127.0.0.1.
"""
import argparse
import http.client
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.path.abspath(os.path.join(HERE, "..", ".."))


def reads(port, path, headers, n):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    took = []
    for _ in range(n):
        started = time.perf_counter()
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        body = response.read()
        took.append(time.perf_counter() - started)
        assert response.status == 200, body
    connection.close()
    took.sort()
    return {"p50_ms": round(took[len(took) // 2] * 1000, 3),
            "p99_ms": round(took[int(len(took) * 0.99)] * 1000, 3),
            "mean_ms": round(sum(took) / len(took) * 1000, 3)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", default=os.path.join(SOURCE_DIR, "build"))
    parser.add_argument("--reads", type=int, default=2000)
    args = parser.parse_args()
    os.environ["ECF_BUILD_DIR"] = os.path.abspath(args.build_dir)
    os.environ["ECF_SOURCE_DIR"] = SOURCE_DIR
    sys.path.insert(0, os.path.join(SOURCE_DIR, "tests", "integration"))
    import conftest  # noqa: E402  (the integration tests' stack, outside pytest)
    from run_instances import beam_pid, cpu_seconds  # noqa: E402
    from doubles.serverless_runtime import ServerlessRuntimeDouble  # noqa: E402
    from harness.rabbitmq import RabbitMQ  # noqa: E402

    issuer = conftest.TokenIssuer()
    with RabbitMQ() as rabbit, conftest.opennebula_double() as opennebula:
        config = ("host: 127.0.0.1\nport: 0\none_xmlrpc: %s\ncognit_frontend: http://127.0.0.1:9\n"
                  "broker: %s\nworkers: 1\nlog_level: warning\npublic_key: %s\n"
                  % (opennebula.url, rabbit.original_url, issuer.public_key))
        first = conftest.Stack(conftest.EcfProcess(config), opennebula, issuer)
        second = conftest.Stack(conftest.EcfProcess(config), opennebula, issuer)
        flavour = conftest.fresh_flavour("Lookup")
        runtime = ServerlessRuntimeDouble(rabbit.original_url, flavour).start()
        try:
            token = first.token("alice")
            function_id = first.add_function("alice")
            requirement_id = first.add_requirement("alice", flavour)
            connection = http.client.HTTPConnection("127.0.0.1", first.ecf.port, timeout=30)
            connection.request(
                "POST", "/v1/functions/%d/execute?app_req_id=%d&mode=async"
                % (function_id, requirement_id), body=json.dumps(["gAVLAi4="]),
                headers={"token": token, "Content-Type": "application/json",
                         "Prefer": "respond-async"})
            accepted = json.loads(connection.getresponse().read())
            path = "/v1/executions/%s" % accepted["exec_id"]["faas_task_uuid"]
            headers = {"token": token}
            connection.request("GET", path + "?wait=10", headers=headers)
            assert json.loads(connection.getresponse().read())["status"] == "READY"
            connection.close()
            reads(first.ecf.port, path, headers, 100)  # warm up: token cache, connections
            reads(second.ecf.port, path, headers, 100)
            local = reads(first.ecf.port, path, headers, args.reads)
            beam = beam_pid(rabbit.pid)
            before = cpu_seconds(beam)
            remote = reads(second.ecf.port, path, headers, args.reads)
            broker_us = round((cpu_seconds(beam) - before) / args.reads * 1e6, 1)
            print(json.dumps({"reads": args.reads, "local": local, "through_another": remote,
                              "p50_ratio": round(remote["p50_ms"] / local["p50_ms"], 2),
                              "broker_cpu_us_per_remote_read": broker_us}), flush=True)
        finally:
            runtime.stop()
            first.ecf.stop()
            second.ecf.stop()


if __name__ == "__main__":
    main()
