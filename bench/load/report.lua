-- wrk reporter for the Portcullis harness: one JSON line, latencies in microseconds.
done = function(summary, latency, requests)
  local errors = summary.errors
  local seconds = summary.duration / 1000000
  io.write(string.format(
    'WRK_RESULT {"requests":%d,"durationS":%.6f,"meanUs":%.2f,"maxUs":%.0f,' ..
    '"p50Us":%.0f,"p90Us":%.0f,"p99Us":%.0f,"p999Us":%.0f,' ..
    '"statusErrors":%d,"socketErrors":%d}\n',
    summary.requests, seconds, latency.mean, latency.max,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), errors.status,
    errors.connect + errors.read + errors.write + errors.timeout))
end
