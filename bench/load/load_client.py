"""A closed-loop HTTP load client: `concurrency` threads, each with its own kept-alive
connection, send requests back to back for `duration` seconds and record each latency."""
import http.client
import json
import threading
import time


def percentile(sorted_values, fraction):
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, int(round(fraction * (len(sorted_values) - 1))))
    return sorted_values[index]


def run_load(host, port, make_request, concurrency, duration_s, warmup_s=1.0):
    """make_request(worker, i) -> (method, path, body bytes, headers).
    Returns {"requests", "errors", "rps", "p50_ms", "p99_ms", "statuses"}."""
    latencies = []
    statuses = {}
    errors = [0]
    lock = threading.Lock()
    start_at = time.monotonic() + 0.2
    measure_from = start_at + warmup_s
    stop_at = measure_from + duration_s

    def worker(number):
        connection = http.client.HTTPConnection(host, port, timeout=60)
        own_latencies = []
        own_statuses = {}
        own_errors = 0
        i = 0
        while time.monotonic() < start_at:
            time.sleep(0.01)
        while True:
            now = time.monotonic()
            if now >= stop_at:
                break
            method, path, body, headers = make_request(number, i)
            i += 1
            sent = time.monotonic()
            try:
                connection.request(method, path, body=body, headers=headers)
                response = connection.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                own_errors += 1
                connection.close()
                connection = http.client.HTTPConnection(host, port, timeout=60)
                continue
            done = time.monotonic()
            if sent >= measure_from and done <= stop_at:
                own_latencies.append(done - sent)
                own_statuses[status] = own_statuses.get(status, 0) + 1
        connection.close()
        with lock:
            latencies.extend(own_latencies)
            for status, count in own_statuses.items():
                statuses[status] = statuses.get(status, 0) + count
            errors[0] += own_errors

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=duration_s + warmup_s + 120)
    latencies.sort()
    return {
        "concurrency": concurrency,
        "requests": len(latencies),
        "errors": errors[0],
        "rps": len(latencies) / duration_s,
        "p50_ms": percentile(latencies, 0.50) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "statuses": statuses,
    }


def hold_requests(host, port, request, count, settle_s, measure):
    """Opens `count` connections, sends `request` (raw bytes) on each, waits `settle_s` seconds
    for the server to take them all in, calls measure() while they all wait, then closes them.
    Returns what measure() returned."""
    import socket
    sockets = []
    try:
        for _ in range(count):
            s = socket.create_connection((host, port), timeout=10)
            s.sendall(request)
            sockets.append(s)
        time.sleep(settle_s)
        return measure()
    finally:
        for s in sockets:
            s.close()


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return None


if __name__ == "__main__":  # pragma: no cover - a smoke run against any HTTP server
    import sys
    host, port = sys.argv[1], int(sys.argv[2])
    print(json.dumps(run_load(host, port, lambda w, i: ("GET", "/docs", None, {}), 4, 2)))
