-- wrk script of bench/side_by_side.py: POST /v1/functions/{id}/execute (sync) with the device's
-- token header and a JSON body, as the COGNIT device client sends it. Settings come from the
-- environment: ECF_BENCH_PATH (path and query), ECF_BENCH_TOKEN, ECF_BENCH_BODY.
-- At the end it prints one JSON line (prefixed "wrk-json ") with the counts and percentiles.
wrk.method = "POST"
wrk.path = os.getenv("ECF_BENCH_PATH")
wrk.body = os.getenv("ECF_BENCH_BODY") or '["gAVLAi4="]'
wrk.headers["token"] = os.getenv("ECF_BENCH_TOKEN")
wrk.headers["Content-Type"] = "application/json"

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'wrk-json {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"max_us":%d,' ..
    '"connect_errors":%d,"read_errors":%d,"write_errors":%d,"status_errors":%d,' ..
    '"timeouts":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.max, e.connect, e.read, e.write, e.status, e.timeout))
end
