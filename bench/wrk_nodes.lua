-- wrk script for the node-state server: GET /v1/nodes/{name} spread over node-00000 .. node-NNNNN
-- (NODES in the environment, default 5000), and a JSON summary line at the end for the harness.
local nodes = tonumber(os.getenv("NODES") or "5000")
local next_index = 0

function init(args)
  -- Each thread starts at its own place in the list, then walks it with a stride co-prime to it.
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)") or "0", 16) % 100000)
  next_index = math.random(0, nodes - 1)
end

function request()
  next_index = (next_index + 7919) % nodes
  return wrk.format("GET", string.format("/v1/nodes/node-%05d", next_index))
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "non2xx": %d, "socket_errors": %d, ' ..
    '"p50_us": %d, "p90_us": %d, "p99_us": %d, "p999_us": %d, "max_us": %d, "mean_us": %.1f}\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9),
    latency.max, latency.mean))
end
