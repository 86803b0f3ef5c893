-- wrk script: GET /telemetry/GetMetric for random (switch, metric) pairs.
-- SWITCHES (env, default 50): fabric size; switches are SW-01 .. SW-<n>.
-- The paths are drawn once, in init, so the per-request cost in wrk is a
-- table lookup (the same for every server measured).
-- done() prints one JSON line: requests/s, latency p50/p90/p99/max (ms), errors.

local metrics = {
  "Bytes_In", "Bytes_Out", "Packets_In", "Packets_Out", "Errors_In", "Drops_In",
  "Latency_Avg_uSec", "Latency_P99_uSec", "Link_Util_Pct", "CPU_Util_Pct", "Temperature_C",
}
local paths = {}
local n = 0
local i = 0

function init(args)
  local switches = tonumber(os.getenv("SWITCHES") or "50")
  math.randomseed(os.time() + (tonumber(tostring({}):match("0x(%x+)"), 16) or 0) % 100000)
  for k = 1, 16384 do
    local s = math.random(1, switches)
    local m = metrics[math.random(1, #metrics)]
    paths[k] = string.format("/telemetry/GetMetric?switch_id=SW-%02d&metric_name=%s", s, m)
  end
  n = #paths
end

function request()
  i = i % n + 1
  return wrk.format("GET", paths[i])
end

function done(summary, latency, requests)
  local secs = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"rps":%.1f,"p50_ms":%.3f,"p90_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f,"non_2xx":%d,"socket_errors":%d}\n',
    summary.requests, summary.requests / secs,
    latency:percentile(50) / 1e3, latency:percentile(90) / 1e3, latency:percentile(99) / 1e3,
    latency.max / 1e3, e.status, e.connect + e.read + e.write + e.timeout))
end
