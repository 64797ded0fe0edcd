#!/usr/bin/python3
"""Measures the ECF's resident memory with N asynchronous executions working at once
(`Prefer: respond-async`, each answered 202), held in a flavour queue nobody consumes until
their deadline: RSS (VmRSS of /proc/PID/status) before and once all N are accepted, and the
difference per execution. Not a test: a figure for the README/report.

Starts everything itself on 127.0.0.1: a private RabbitMQ, the OpenNebula double and `ecf`.

Usage: bench/load/async_memory.py [--build-dir build] [--executions 100000] [--clients 16]
"""
import argparse
import http.client
import json
import os
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.path.abspath(os.path.join(HERE, "..", ".."))
LIMIT_S = 1800  # the whole run, at most


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", default=os.path.join(SOURCE_DIR, "build"))
    parser.add_argument("--executions", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=16)
    args = parser.parse_args()

    os.environ["ECF_BUILD_DIR"] = os.path.abspath(args.build_dir)
    os.environ["ECF_SOURCE_DIR"] = SOURCE_DIR
    sys.path.insert(0, os.path.join(SOURCE_DIR, "tests", "integration"))
    sys.path.insert(0, HERE)
    import conftest  # noqa: E402  (the integration tests' stack, outside pytest)
    from harness.rabbitmq import RabbitMQ  # noqa: E402
    from load_client import rss_kib  # noqa: E402

    issuer = conftest.TokenIssuer()
    with RabbitMQ() as rabbit, conftest.opennebula_double() as opennebula:
        # Long deadlines and allowance: every execution stays working for the whole run.
        config = ("host: 127.0.0.1\nport: 0\none_xmlrpc: %s\ncognit_frontend: http://127.0.0.1:9\n"
                  "broker: %s\nworkers: 2\nlog_level: warning\npublic_key: %s\n"
                  "execution_timeout: %d\nqueue_allowance: %d\ndocument_cache_ttl: 3600\n"
                  "async_max_results: %d\nmax_waiting_executions_per_user: 0\n"
                  % (opennebula.url, rabbit.original_url, issuer.public_key, LIMIT_S, LIMIT_S,
                     args.executions + 1000))
        ecf = conftest.EcfProcess(config)
        stack = conftest.Stack(ecf, opennebula, issuer)
        try:
            function_id = stack.add_function("alice")
            requirement_id = stack.add_requirement("alice", conftest.fresh_flavour("Held"))
            token = stack.token("alice")
            path = "/v1/functions/%d/execute?app_req_id=%d&mode=async" % (function_id,
                                                                         requirement_id)
            headers = {"token": token, "Content-Type": "application/json",
                       "Prefer": "respond-async"}
            body = json.dumps(["gAVLAi4="]).encode()
            # Warm up (token cache, documents cache, flavour queue), then measure.
            connection = http.client.HTTPConnection("127.0.0.1", ecf.port, timeout=60)
            connection.request("POST", path, body=body, headers=headers)
            assert connection.getresponse().status == 202
            connection.close()
            before = rss_kib(ecf.process.pid)
            statuses = {}
            lock = threading.Lock()
            stop_at = time.monotonic() + LIMIT_S
            per_client = args.executions // args.clients

            def client():
                own = {}
                connection = http.client.HTTPConnection("127.0.0.1", ecf.port, timeout=60)
                for _ in range(per_client):
                    if time.monotonic() > stop_at:
                        break
                    connection.request("POST", path, body=body, headers=headers)
                    response = connection.getresponse()
                    response.read()
                    own[response.status] = own.get(response.status, 0) + 1
                connection.close()
                with lock:
                    for status, count in own.items():
                        statuses[status] = statuses.get(status, 0) + count

            started = time.monotonic()
            threads = [threading.Thread(target=client) for _ in range(args.clients)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(max(1.0, stop_at - time.monotonic()))
            elapsed = time.monotonic() - started
            held = rss_kib(ecf.process.pid)
            accepted = statuses.get(202, 0)
            metrics = http.client.HTTPConnection("127.0.0.1", ecf.port, timeout=60)
            metrics.request("GET", "/metrics")
            text = metrics.getresponse().read().decode()
            entries = [line for line in text.splitlines()
                       if line.startswith("ecf_async_store_entries ")]
            print(json.dumps({"executions": accepted + 1, "statuses": statuses,
                              "seconds": round(elapsed, 1),
                              "rss_kib_before": before, "rss_kib_held": held,
                              "bytes_per_execution": round((held - before) * 1024
                                                           / max(1, accepted)),
                              "store": entries}), flush=True)
        finally:
            ecf.stop()


if __name__ == "__main__":
    main()
