#!/usr/bin/python3
"""Measures RabbitMQ's CPU per execution with N ECF instances on one RabbitMQ (issue 9 item 5).

Starts on 127.0.0.1 a private RabbitMQ (results policy set), the OpenNebula double, echo
runtimes (SR doubles, each a process of its own) and, for each N and each results mode, N `ecf`
processes; then drives sync executions at a total concurrency C (wrk, C/N connections per
instance, all at once) for D seconds and reports:

  - the executions per second (sum over the instances of ecf_executions_finished_total{ok});
  - RabbitMQ's CPU per execution: the utime + stime of its beam.smp (/proc/<pid>/stat) over the
    run, divided by the executions;
  - the results each instance received, forwarded and dropped (their /metrics).

Modes: `shared` (the default: instances share the unrouted results through `results.shared` and
forward each other's by the tag in the request id) and `fanout` (shared_results: false, as
earlier versions: every instance receives every result and drops the others').

Usage: bench/cluster/run_instances.py [--build-dir build] [--instances 1 2 4]
                                      [--modes shared fanout] [--duration 10] [--concurrency 64]
Not a test: figures only (bench/RESULTS.md).
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.path.abspath(os.path.join(HERE, "..", ".."))
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # Fields 14 and 15 of stat (utime, stime), counted after the command's closing ")".
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def beam_pid(group_leader):
    """The beam.smp of the node started with that process group (the harness's)."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                stat = f.read()
            comm = stat[stat.index("(") + 1:stat.rindex(")")]
            pgrp = int(stat.rsplit(")", 1)[1].split()[2])
        except (OSError, ValueError):
            continue
        if comm.startswith("beam") and pgrp == group_leader:
            return int(entry)
    raise RuntimeError("beam.smp of the RabbitMQ node not found")


def metrics(port):
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=10) as reply:
        return reply.read().decode()


def metric(text, name, labels=None):
    total = 0.0
    for line in text.splitlines():
        match = re.match(r"^%s(\{[^}]*\})? (\S+)$" % re.escape(name), line)
        if match and (labels is None or (match.group(1) and labels in match.group(1))):
            total += float(match.group(2))
    return total


def snapshot(ports):
    texts = [metrics(port) for port in ports]
    return {
        "ok": sum(metric(t, "ecf_executions_finished_total", 'outcome="ok"') for t in texts),
        "results": sum(metric(t, "ecf_broker_results_total") for t in texts),
        "forwarded": sum(metric(t, "ecf_broker_forwarded_results_total") for t in texts),
        "dropped": sum(metric(t, "ecf_broker_dropped_results_total") for t in texts),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", default=os.path.join(SOURCE_DIR, "build"))
    parser.add_argument("--instances", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--modes", nargs="+", default=["shared", "fanout"],
                        choices=["shared", "fanout"])
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--runtime-consumers", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=1, help="runs of each (mode, N)")
    args = parser.parse_args()

    os.environ["ECF_BUILD_DIR"] = os.path.abspath(args.build_dir)
    os.environ["ECF_SOURCE_DIR"] = SOURCE_DIR
    sys.path.insert(0, os.path.join(SOURCE_DIR, "tests", "integration"))
    import conftest  # noqa: E402  (the integration tests' stack, outside pytest)
    from harness.rabbitmq import RabbitMQ  # noqa: E402

    issuer = conftest.TokenIssuer()
    rows = []
    # No busy waiting of the Erlang schedulers: the node's CPU time is then its work.
    with RabbitMQ(erl_args="+sbwt none +sbwtdcpu none +sbwtdio none") as rabbit, \
            conftest.opennebula_double() as opennebula:
        beam = beam_pid(rabbit.pid)
        flavour = conftest.fresh_flavour("Instances")
        runtimes = [subprocess.Popen(
            ["/usr/bin/python3", os.path.join(SOURCE_DIR, "tests", "doubles",
                                              "serverless_runtime.py"),
             "--broker", rabbit.url, "--flavour", flavour, "--mode", "echo",
             "--max-seconds", "3600"], stdout=subprocess.PIPE, text=True)
            for _ in range(args.runtime_consumers)]
        workdir = tempfile.mkdtemp(prefix="ecf-bench-instances-")
        try:
            for runtime in runtimes:
                if runtime.stdout.readline().strip() != "ready":
                    raise RuntimeError("an echo runtime did not start")
            runs = [(mode, count) for _ in range(args.repeat) for mode in args.modes
                    for count in args.instances]
            for mode, count in runs:
                rows.append(run_one(conftest, rabbit, opennebula, issuer, flavour, beam, mode,
                                    count, args, workdir))
                print(json.dumps(rows[-1]), flush=True)
        finally:
            for runtime in runtimes:
                runtime.terminate()
            for runtime in runtimes:
                runtime.wait(timeout=30)
    print("%-7s %3s %9s %16s %10s %10s %9s" % ("mode", "N", "exec/s", "broker CPU µs/ex",
                                              "results", "forwarded", "dropped"))
    for r in rows:
        print("%-7s %3d %9.0f %16.0f %10d %10d %9d" % (
            r["mode"], r["instances"], r["executions_per_s"], r["broker_cpu_us_per_execution"],
            r["results"], r["forwarded"], r["dropped"]))


def run_one(conftest, rabbit, opennebula, issuer, flavour, beam, mode, count, args, workdir):
    instances = []
    try:
        for _ in range(count):
            config = ("host: 127.0.0.1\nport: 0\none_xmlrpc: %s\n"
                      "cognit_frontend: http://127.0.0.1:9\nbroker: %s\nworkers: 1\n"
                      "log_level: warning\npublic_key: %s\nshared_results: %s\n"
                      % (opennebula.url, rabbit.original_url, issuer.public_key,
                         "true" if mode == "shared" else "false"))
            instances.append(conftest.EcfProcess(config))
        stack = conftest.Stack(instances[0], opennebula, issuer)
        function_id = stack.add_function("alice")
        requirement_id = stack.add_requirement("alice", flavour)
        script = os.path.join(workdir, "execute.lua")
        with open(script, "w") as f:
            f.write('wrk.method = "POST"\nwrk.body = \'["bench"]\'\n'
                    'wrk.headers["Content-Type"] = "application/json"\n'
                    'wrk.headers["token"] = "%s"\n' % stack.token("alice"))
        path = "/v1/functions/%d/execute?app_req_id=%d&mode=sync" % (function_id, requirement_id)
        per_instance = max(1, args.concurrency // count)

        def wrk(seconds):
            runs = [subprocess.Popen(
                ["wrk", "-t1", "-c%d" % per_instance, "-d%ds" % max(1, round(seconds)),
                 "--timeout", "30s", "-s", script, "http://127.0.0.1:%d%s" % (e.port, path)],
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                for e in instances]
            return [run.communicate(timeout=seconds + 60)[0] for run in runs]

        wrk(2)  # warm-up: flavour declared, connections open, caches filled
        ports = [e.port for e in instances]
        before = snapshot(ports)
        cpu_before = cpu_seconds(beam)
        started = time.monotonic()
        outputs = wrk(args.duration)
        elapsed = time.monotonic() - started
        cpu_after = cpu_seconds(beam)
        after = snapshot(ports)
        executions = after["ok"] - before["ok"]
        return {
            "mode": mode, "instances": count, "concurrency": per_instance * count,
            "executions": int(executions),
            "executions_per_s": executions / elapsed,
            "broker_cpu_s": round(cpu_after - cpu_before, 3),
            "broker_cpu_us_per_execution": (cpu_after - cpu_before) * 1e6 / max(1, executions),
            "results": int(after["results"] - before["results"]),
            "forwarded": int(after["forwarded"] - before["forwarded"]),
            "dropped": int(after["dropped"] - before["dropped"]),
            "non_2xx": sum(int(m) for o in outputs
                           for m in re.findall(r"Non-2xx or 3xx responses: (\d+)", o)),
        }
    finally:
        for e in instances:
            e.stop()


if __name__ == "__main__":
    main()
