#!/usr/bin/python3
"""Measures the ECF's requests/s and p50/p99 latency of POST /v1/functions/{id}/execute at
concurrency 1 and 64, against an echo runtime, and the server's resident memory.

Starts everything itself on 127.0.0.1: a private RabbitMQ, the OpenNebula double, `ecf` (with
the root key in its configuration and the default document cache) and echo runtimes (SR
doubles, each a process of its own).

With --held N, it also measures the memory of N executions waiting at once for a runtime that
never answers: the server's resident memory before and while they wait, and the difference per
execution.

Usage: bench/load/run_load.py [--build-dir build] [--duration 10] [--concurrency 1 64]
                              [--held 2000]
"""
import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.path.abspath(os.path.join(HERE, "..", ".."))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", default=os.path.join(SOURCE_DIR, "build"))
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 64])
    parser.add_argument("--runtime-consumers", type=int, default=4)
    parser.add_argument("--workers", type=int, default=0, help="ecf I/O threads (0: per core)")
    parser.add_argument("--held", type=int, default=0,
                        help="also measure memory with this many executions waiting at once")
    args = parser.parse_args()
    if args.held:
        # One socket per held execution on each side; the server inherits the limit.
        import resource
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        wanted = min(hard, max(soft, 2 * args.held + 256))
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))

    os.environ["ECF_BUILD_DIR"] = os.path.abspath(args.build_dir)
    os.environ["ECF_SOURCE_DIR"] = SOURCE_DIR
    sys.path.insert(0, os.path.join(SOURCE_DIR, "tests", "integration"))
    sys.path.insert(0, HERE)
    import conftest  # noqa: E402  (the integration tests' stack, outside pytest)
    from harness.rabbitmq import RabbitMQ  # noqa: E402
    from load_client import hold_requests, rss_kib, run_load  # noqa: E402

    issuer = conftest.TokenIssuer()
    with RabbitMQ() as rabbit, conftest.opennebula_double() as opennebula:
        config = ("host: 127.0.0.1\nport: 0\none_xmlrpc: %s\ncognit_frontend: http://127.0.0.1:9\n"
                  "broker: %s\nworkers: %d\nlog_level: warning\npublic_key: %s\n"
                  "max_connections: %d\n"
                  % (opennebula.url, rabbit.original_url, args.workers, issuer.public_key,
                     max(10000, args.held + 100)))
        ecf = conftest.EcfProcess(config)
        stack = conftest.Stack(ecf, opennebula, issuer)
        flavour = conftest.fresh_flavour("Load")
        # Runtimes in processes of their own, so that they do not share the client's GIL.
        runtimes = [subprocess.Popen(
            ["/usr/bin/python3", os.path.join(SOURCE_DIR, "tests", "doubles",
                                              "serverless_runtime.py"),
             "--broker", rabbit.url, "--flavour", flavour, "--mode", "echo",
             "--max-seconds", "900"], stdout=subprocess.PIPE, text=True)
            for _ in range(args.runtime_consumers)]
        for runtime in runtimes:
            if runtime.stdout.readline().strip() != "ready":
                raise RuntimeError("an echo runtime did not start")
        try:
            function_id = stack.add_function("alice")
            requirement_id = stack.add_requirement("alice", flavour)
            token = stack.token("alice")
            path = "/v1/functions/%d/execute?app_req_id=%d&mode=sync" % (function_id,
                                                                        requirement_id)

            def make_request(worker, i):
                body = json.dumps(["w%d" % worker, "i%d" % i]).encode()
                return "POST", path, body, {"token": token, "Content-Type": "application/json"}

            results = []
            for concurrency in args.concurrency:
                result = run_load("127.0.0.1", ecf.port, make_request, concurrency,
                                  args.duration)
                result["rss_kib_after"] = rss_kib(ecf.process.pid)
                results.append(result)
                print(json.dumps(result), flush=True)
            if args.held:
                # A flavour nobody consumes: every execution waits for its deadline (60 s).
                silent = stack.add_requirement("alice", conftest.fresh_flavour("Silent"),
                                               max_execution_time=50)
                body = json.dumps(["held"]).encode()
                request = (("POST /v1/functions/%d/execute?app_req_id=%d&mode=sync HTTP/1.1\r\n"
                            "Host: 127.0.0.1\r\ntoken: %s\r\nContent-Type: application/json\r\n"
                            "Content-Length: %d\r\n\r\n") % (function_id, silent, token,
                                                             len(body))).encode() + body
                before = rss_kib(ecf.process.pid)
                held = hold_requests("127.0.0.1", ecf.port, request, args.held, 5.0,
                                     lambda: rss_kib(ecf.process.pid))
                result = {"held": args.held, "rss_kib_before": before, "rss_kib_held": held,
                          "bytes_per_execution": round((held - before) * 1024 / args.held)}
                print(json.dumps(result), flush=True)
            print("%-12s %10s %10s %10s %8s %12s" % ("concurrency", "req/s", "p50 ms", "p99 ms",
                                                   "errors", "RSS KiB"))
            for r in results:
                print("%-12d %10.0f %10.2f %10.2f %8d %12s" % (
                    r["concurrency"], r["rps"], r["p50_ms"], r["p99_ms"],
                    r["errors"] + sum(c for s, c in r["statuses"].items() if s != 200),
                    r["rss_kib_after"]))
        finally:
            for runtime in runtimes:
                runtime.terminate()
            for runtime in runtimes:
                runtime.wait(timeout=30)
            ecf.stop()


if __name__ == "__main__":
    main()
