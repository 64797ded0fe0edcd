#!/usr/bin/python3
"""The ECF next to the broker's ceiling, in one run (issue 7 item 6).

Starts on 127.0.0.1, all of its own: a private RabbitMQ (tests/harness/rabbitmq.py, with the
results policy), the OpenNebula double, `ecf` (root key in its configuration, default document
and token caches) and echo runtimes shared by both sides (`ecf_raw_round_trip echo`, C++, no
acks: the runtime is not what is measured). Then it measures:

  (a) raw AMQP round trips (`ecf_raw_round_trip client`: one connection, K outstanding, reply
      keys bound once) at K = 1, 8, 64, 256: round trips/s, p50/p99;
  (b) the ECF over HTTP with wrk (bench/http/execute.lua: POST /v1/functions/{id}/execute,
      sync, token header, JSON body) at c = 1, 8, 64, 256: req/s, p50/p99; the ECF runs with
      the environment of the packaged service (deploy/systemd/cognit-ecf.service: its malloc
      tuning), or without it (--no-service-env);
  (c) per-request bindings: a second node without the results policy, the ECF and the raw
      client binding/unbinding each request id, at 64;
  (d) CPU per execution of the ECF and of RabbitMQ (beam.smp) from /proc/PID/stat;
  (e) the ECF's resident memory with N sync executions held (a runtime that takes them and never
      answers), from /proc/PID/status, per execution;
  (f) with --syscalls, the ECF's system calls and context switches per execution during each of
      its runs (perf stat on its pid: all of them, and those of the hand-offs and writes);
and prints the ratios to the ceiling. Every wait and loop is bounded.

Usage: bench/side_by_side.py [--quick] [--build-dir build] [--seconds S] [--held N]
                             [--json FILE] [--no-service-env] [--syscalls]
"""
import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.path.abspath(os.path.join(HERE, ".."))
LEVELS = [1, 8, 64, 256]
CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    """utime + stime of a process, in seconds (fields 14 and 15 of /proc/PID/stat)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return None


def beam_pid(group_leader):
    """The beam.smp of a harness node: the process named beam.smp in the node's process group."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                text = f.read()
        except OSError:
            continue
        name = text[text.index("(") + 1:text.rindex(")")]
        pgrp = int(text.rsplit(")", 1)[1].split()[2])
        if name == "beam.smp" and pgrp == group_leader:
            return int(entry)
    raise RuntimeError("no beam.smp in process group %d" % group_leader)


def metrics_text(url):
    with urllib.request.urlopen(url + "/metrics", timeout=10) as reply:
        return reply.read().decode()


def metric_value(text, name):
    match = re.search(r"^%s(?:\{[^}]*\})? ([0-9.eE+-]+)$" % re.escape(name), text, re.M)
    return float(match.group(1)) if match else None


def wait_for_routing(url, mode, timeout_s=15.0):
    """Waits until the ECF reports results routing `mode` (bounded)."""
    deadline = time.monotonic() + timeout_s
    pattern = 'ecf_broker_results_routing{mode="%s"} 1' % mode
    while time.monotonic() < deadline:
        if pattern in metrics_text(url):
            return
        time.sleep(0.1)
    raise RuntimeError("the ECF did not report routing mode %s" % mode)


class Runtimes:
    """`count` ecf_raw_round_trip runtimes (echo or sink) on one flavour, as processes."""

    def __init__(self, tool, port, flavour, count, kind="echo"):
        self.processes = [subprocess.Popen(
            [tool, kind, "--port", str(port), "--flavour", flavour, "--max-seconds", "1800"],
            stdout=subprocess.PIPE, text=True) for _ in range(count)]
        for process in self.processes:
            if process.stdout.readline().strip() != "ready":
                self.stop()
                raise RuntimeError("a runtime did not start")

    def stop(self):
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=15)


def raw_client(tool, port, flavour, outstanding, seconds, beam, per_request_binding=False):
    command = [tool, "client", "--port", str(port), "--flavour", flavour, "--outstanding",
               str(outstanding), "--seconds", str(seconds), "--warmup", "1"]
    if per_request_binding:
        command.append("--per-request-binding")
    beam_before = cpu_seconds(beam)
    out = subprocess.run(command, check=True, capture_output=True, text=True,
                         timeout=seconds + 60).stdout
    beam_after = cpu_seconds(beam)
    result = json.loads(out.strip().splitlines()[-1])
    total = result["total_round_trips"]
    result["beam_cpu_us_per_round_trip"] = (beam_after - beam_before) * 1e6 / max(1, total)
    return result


# What --syscalls counts: every system call and context switch, and the calls that tell where they
# go: send/sendto (AMQP writes), sendmsg/recvmsg (HTTP), epoll_ctl (Asio waking a thread
# blocked in epoll_wait: a hand-off between threads), futex (a contended lock or a wait).
SYSCALL_EVENTS = ["raw_syscalls:sys_enter", "context-switches", "syscalls:sys_enter_sendto",
                  "syscalls:sys_enter_sendmsg", "syscalls:sys_enter_recvmsg",
                  "syscalls:sys_enter_epoll_wait", "syscalls:sys_enter_epoll_ctl",
                  "syscalls:sys_enter_futex", "syscalls:sys_enter_setsockopt"]


class SyscallCount:
    """perf stat on a process for as long as it runs; stop() gives the counts by event."""

    def __init__(self, pid):
        self.process = subprocess.Popen(
            ["perf", "stat", "-x", ",", "-e", ",".join(SYSCALL_EVENTS), "-p", str(pid)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

    def stop(self):
        self.process.send_signal(signal.SIGINT)
        _, err = self.process.communicate(timeout=30)
        counts = {}
        for line in err.splitlines():
            fields = line.split(",")
            if len(fields) > 2 and fields[0].isdigit():
                counts[fields[2].split(":")[-1].replace("sys_enter_", "")] = int(fields[0])
        if not counts:
            raise RuntimeError("perf stat counted nothing: %s" % err.strip()[-300:])
        return counts


def wrk(url, path, token, connections, seconds, ecf_pid, beam, syscalls=False):
    env = dict(os.environ, ECF_BENCH_PATH=path, ECF_BENCH_TOKEN=token,
               ECF_BENCH_BODY='["gAVLAi4=","gAVLAy4="]')
    command = ["wrk", "-t", str(min(2, connections)), "-c", str(connections), "-d",
               "%ds" % max(1, round(seconds)), "--timeout", "30s", "-s",
               os.path.join(HERE, "http", "execute.lua"), url]
    counter = SyscallCount(ecf_pid) if syscalls else None
    ecf_before, beam_before = cpu_seconds(ecf_pid), cpu_seconds(beam)
    try:
        out = subprocess.run(command, env=env, check=True, capture_output=True, text=True,
                             timeout=seconds + 90).stdout
    finally:
        ecf_after, beam_after = cpu_seconds(ecf_pid), cpu_seconds(beam)
        counts = counter.stop() if counter else None
    line = [l for l in out.splitlines() if l.startswith("wrk-json ")][-1]
    raw = json.loads(line[len("wrk-json "):])
    requests = raw["requests"]
    errors = sum(raw[k] for k in ("connect_errors", "read_errors", "write_errors",
                                  "status_errors", "timeouts"))
    result = {
        "connections": connections,
        "requests": requests,
        "errors": errors,
        "rps": requests / (raw["duration_us"] / 1e6),
        "p50_ms": raw["p50_us"] / 1000.0,
        "p99_ms": raw["p99_us"] / 1000.0,
        "ecf_cpu_us_per_execution": (ecf_after - ecf_before) * 1e6 / max(1, requests),
        "beam_cpu_us_per_execution": (beam_after - beam_before) * 1e6 / max(1, requests),
    }
    if counts:
        result["ecf_syscalls_per_execution"] = {
            event: count / max(1, requests) for event, count in counts.items()}
    return result


def pause(seconds, ecf, when):
    if seconds > 0:
        print("ecf pid %d: pausing %.0f s %s" % (ecf.process.pid, seconds, when), flush=True)
        time.sleep(seconds)


def hold(ecf, path, token, count, while_held, settle_timeout_s=120.0):
    """Opens `count` connections each with one sync execution that a sink runtime takes and never
    answers; returns the ECF's RSS (KiB) before and while they are all waiting."""
    body = b'["held"]'
    request = ("POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\ntoken: %s\r\n"
               "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n"
               % (path, token, len(body))).encode() + body
    before = rss_kib(ecf.process.pid)
    sockets = []
    try:
        deadline = time.monotonic() + settle_timeout_s
        for _ in range(count):
            s = socket.create_connection(("127.0.0.1", ecf.port), timeout=10)
            s.sendall(request)
            sockets.append(s)
            if time.monotonic() > deadline:
                raise RuntimeError("opening the held connections took too long")
        waiting = 0
        while time.monotonic() < deadline:
            waiting = metric_value(metrics_text(ecf.url), "ecf_broker_waiting_executions") or 0
            if waiting >= count:
                break
            time.sleep(0.25)
        time.sleep(1.0)  # let the last allocations settle before reading RSS
        held = rss_kib(ecf.process.pid)
        while_held()
        return {"held": count, "waiting_seen": int(waiting), "rss_kib_before": before,
                "rss_kib_held": held,
                "bytes_per_execution": round((held - before) * 1024 / count)}
    finally:
        for s in sockets:
            s.close()


# The environment the packaged service gives the ECF (its malloc tuning): measured as deployed.
SERVICE_UNIT = os.path.join(SOURCE_DIR, "deploy", "systemd", "cognit-ecf.service")


def service_environment():
    env = {}
    with open(SERVICE_UNIT) as f:
        for line in f:
            if line.startswith("Environment="):
                name, _, value = line.strip()[len("Environment="):].partition("=")
                env[name] = value
    return env


def start_ecf(conftest, rabbit, opennebula, issuer, held, env=None):
    config = ("host: 127.0.0.1\nport: 0\none_xmlrpc: %s\ncognit_frontend: http://127.0.0.1:9\n"
              "broker: %s\nworkers: 0\nlog_level: warning\npublic_key: %s\n"
              "max_connections: %d\nmax_connections_per_address: %d\n"
              "max_waiting_executions: %d\nmax_waiting_executions_per_user: 0\n"
              % (opennebula.url, rabbit.original_url, issuer.public_key, held + 1000,
                 held + 1000, held + 1000))
    ecf = conftest.EcfProcess(config, env=env)
    return conftest.Stack(ecf, opennebula, issuer)


def other_load():
    with open("/proc/loadavg") as f:
        return f.read().split()[0]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", default=os.path.join(SOURCE_DIR, "build"))
    parser.add_argument("--quick", action="store_true", help="3 s per level, 2,000 held")
    parser.add_argument("--seconds", type=float, help="measured seconds per level (10)")
    parser.add_argument("--held", type=int, help="sync executions held for memory (15000)")
    parser.add_argument("--runtimes", type=int, default=2, help="echo runtimes (2)")
    parser.add_argument("--json", help="write every figure to this file too")
    parser.add_argument("--ecf", help="the ecf binary to measure (default: BUILD_DIR/ecf)")
    parser.add_argument("--levels", type=int, nargs="+", default=LEVELS,
                        help="concurrencies / outstanding requests (1 8 64 256)")
    parser.add_argument("--no-binding", action="store_true",
                        help="skip (c), the node without the results policy")
    parser.add_argument("--no-service-env", action="store_true",
                        help="start the ECF without the service unit's environment (its malloc "
                             "tuning), to measure what it gives")
    parser.add_argument("--syscalls", action="store_true",
                        help="count the ECF's system calls per execution in its runs (perf stat)")
    parser.add_argument("--profile-pause", type=float, default=0,
                        help="seconds to wait, printing the ECF's pid, before the ECF's runs "
                             "and while the executions are held (to attach perf or heaptrack)")
    args = parser.parse_args()
    seconds = args.seconds or (3.0 if args.quick else 10.0)
    held_count = args.held if args.held is not None else (2000 if args.quick else 15000)

    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, held_count + 1024)), hard))

    build_dir = os.path.abspath(args.build_dir)
    tool = os.path.join(build_dir, "bench", "broker", "ecf_raw_round_trip")
    os.environ["ECF_BUILD_DIR"] = build_dir
    os.environ["ECF_SOURCE_DIR"] = SOURCE_DIR
    sys.path.insert(0, os.path.join(SOURCE_DIR, "tests", "integration"))
    import conftest  # noqa: E402  (the integration tests' stack, outside pytest)
    from harness.rabbitmq import RabbitMQ  # noqa: E402

    if args.ecf:
        conftest.ECF = os.path.abspath(args.ecf)
    ecf_env = {} if args.no_service_env else service_environment()
    issuer = conftest.TokenIssuer()
    report = {"load_average_at_start": other_load(), "seconds": seconds, "ecf_env": ecf_env}
    print("load average at start: %s" % report["load_average_at_start"], flush=True)
    print("ECF environment (deploy/systemd/cognit-ecf.service): %s" % (ecf_env or "none"),
          flush=True)

    with conftest.opennebula_double() as opennebula:
        # --- (a), (b), (d), (e): the fast path ------------------------------------------------
        with RabbitMQ() as rabbit:
            beam = beam_pid(rabbit.pid)
            stack = start_ecf(conftest, rabbit, opennebula, issuer, held_count, ecf_env)
            ecf = stack.ecf
            runtimes = None
            try:
                wait_for_routing(ecf.url, "alternate_exchange")
                flavour = conftest.fresh_flavour("Bench")
                runtimes = Runtimes(tool, rabbit.port, flavour, args.runtimes)
                function_id = stack.add_function("alice")
                requirement_id = stack.add_requirement("alice", flavour)
                token = stack.token("alice")
                path = "/v1/functions/%d/execute?app_req_id=%d&mode=sync" % (function_id,
                                                                            requirement_id)
                report["raw"] = []
                for k in args.levels:
                    result = raw_client(tool, rabbit.port, flavour, k, seconds, beam)
                    report["raw"].append(result)
                    print("raw K=%-4d %s" % (k, json.dumps(result)), flush=True)
                # Warm up the ECF's caches (documents, token) before measuring.
                wrk(ecf.url, path, token, 8, 1, ecf.process.pid, beam)
                report["ecf"] = []
                pause(args.profile_pause, ecf, "before the ECF's runs")
                for c in args.levels:
                    result = wrk(ecf.url, path, token, c, seconds, ecf.process.pid, beam,
                                 syscalls=args.syscalls)
                    result["rss_kib_after"] = rss_kib(ecf.process.pid)
                    report["ecf"].append(result)
                    print("ecf c=%-4d %s" % (c, json.dumps(result)), flush=True)
                if held_count:
                    sink_flavour = conftest.fresh_flavour("Held")
                    sink = Runtimes(tool, rabbit.port, sink_flavour, 1, kind="sink")
                    try:
                        held_requirement = stack.add_requirement("alice", sink_flavour,
                                                                 max_execution_time=110)
                        held_path = "/v1/functions/%d/execute?app_req_id=%d&mode=sync" % (
                            function_id, held_requirement)
                        report["held"] = hold(ecf, held_path, token, held_count,
                                              lambda: pause(args.profile_pause, ecf,
                                                            "while the executions are held"))
                        print("held %s" % json.dumps(report["held"]), flush=True)
                    finally:
                        sink.stop()
            finally:
                if runtimes:
                    runtimes.stop()
                ecf.stop()

        # --- (c): a binding per request (no results policy) -------------------------------------
        if args.no_binding:
            report["load_average_at_end"] = other_load()
            print_summary(report)
            return
        with RabbitMQ(results_policy=False) as rabbit:
            beam = beam_pid(rabbit.pid)
            stack = start_ecf(conftest, rabbit, opennebula, issuer, 1000, ecf_env)
            ecf = stack.ecf
            runtimes = None
            try:
                wait_for_routing(ecf.url, "per_request_bindings")
                flavour = conftest.fresh_flavour("Bind")
                runtimes = Runtimes(tool, rabbit.port, flavour, args.runtimes)
                function_id = stack.add_function("alice")
                requirement_id = stack.add_requirement("alice", flavour)
                token = stack.token("alice")
                path = "/v1/functions/%d/execute?app_req_id=%d&mode=sync" % (function_id,
                                                                            requirement_id)
                raw = raw_client(tool, rabbit.port, flavour, 64, seconds, beam,
                                 per_request_binding=True)
                print("raw binding K=64 %s" % json.dumps(raw), flush=True)
                wrk(ecf.url, path, token, 8, 1, ecf.process.pid, beam)
                mine = wrk(ecf.url, path, token, 64, seconds, ecf.process.pid, beam)
                print("ecf binding c=64 %s" % json.dumps(mine), flush=True)
                report["binding"] = {"raw": raw, "ecf": mine}
            finally:
                if runtimes:
                    runtimes.stop()
                ecf.stop()
    report["load_average_at_end"] = other_load()
    print_summary(report)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1)


def print_summary(report):
    print()
    print("load average: %s at start, %s at end" % (report["load_average_at_start"],
                                                    report["load_average_at_end"]))
    print("%-6s | %10s %8s %8s | %10s %8s %8s %7s | %8s %9s | %9s %9s" % (
        "c / K", "raw rt/s", "p50 ms", "p99 ms", "ECF req/s", "p50 ms", "p99 ms", "errors",
        "ECF/raw", "Δp50 ms", "ECF µs/ex", "beam µs/ex"))
    for raw, mine in zip(report.get("raw", []), report.get("ecf", [])):
        print("%-6d | %10.0f %8.3f %8.3f | %10.0f %8.3f %8.3f %7d | %8.2f %9.3f | %9.1f %9.1f"
              % (raw["outstanding"], raw["rps"], raw["p50_ms"], raw["p99_ms"], mine["rps"],
                 mine["p50_ms"], mine["p99_ms"], mine["errors"], mine["rps"] / raw["rps"],
                 mine["p50_ms"] - raw["p50_ms"], mine["ecf_cpu_us_per_execution"],
                 mine["beam_cpu_us_per_execution"]))
    print("raw beam.smp µs per round trip: " + ", ".join(
        "K=%d %.1f" % (r["outstanding"], r["beam_cpu_us_per_round_trip"])
        for r in report.get("raw", [])))
    for mine in report.get("ecf", []):
        if "ecf_syscalls_per_execution" in mine:
            print("ECF system calls per execution at c=%d: %s" % (mine["connections"], ", ".join(
                "%s %.2f" % (event, count)
                for event, count in mine["ecf_syscalls_per_execution"].items())))
    binding = report.get("binding")
    if binding:
        print("per-request bindings at 64: raw %.0f rt/s (p50 %.3f ms), ECF %.0f req/s "
              "(p50 %.3f ms): ECF/raw %.2f; beam µs/ex raw %.1f, ECF %.1f" % (
                  binding["raw"]["rps"], binding["raw"]["p50_ms"], binding["ecf"]["rps"],
                  binding["ecf"]["p50_ms"], binding["ecf"]["rps"] / binding["raw"]["rps"],
                  binding["raw"]["beam_cpu_us_per_round_trip"],
                  binding["ecf"]["beam_cpu_us_per_execution"]))
    held = report.get("held")
    if held:
        print("held: %d sync executions (%d seen waiting): RSS %d -> %d KiB, %d bytes each" % (
            held["held"], held["waiting_seen"], held["rss_kib_before"], held["rss_kib_held"],
            held["bytes_per_execution"]))


if __name__ == "__main__":
    main()
