-- wrk script: POST pre-generated, signed SMSTAKE bodies, one per line as "<signature> <body>".
-- Parameters come from the environment (wrk reads `delay` before any thread starts):
--   BENCH_BODIES   file of signed bodies     BENCH_PATH  URL path to post to
--   BENCH_DELAY_MS pause before each request on a connection (0: as fast as possible)
local bodies_file = os.getenv("BENCH_BODIES")
local path = os.getenv("BENCH_PATH")
local delay_ms = tonumber(os.getenv("BENCH_DELAY_MS") or "0")
local requests = {}
local index = 0

function init(args)
  for line in io.lines(bodies_file) do
    local space = line:find(" ", 1, true)
    local headers = {
      ["Content-Type"] = "application/json",
      ["X-SMSTAKE-Signature"] = line:sub(1, space - 1),
      -- The TLS-terminating proxy of production sets this (docs/architecture.md).
      ["X-Forwarded-Proto"] = "https",
    }
    requests[#requests + 1] = wrk.format("POST", path, headers, line:sub(space + 1))
  end
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
  index = math.random(#requests)
end

function request()
  index = index % #requests + 1
  return requests[index]
end

if delay_ms > 0 then
  function delay()
    return delay_ms
  end
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, "connect": %d, "read": %d, '
      .. '"write": %d, "status": %d, "timeout": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, '
      .. '"max_us": %d, "mean_us": %f}\n',
    summary.requests, summary.duration, summary.bytes, errors.connect, errors.read,
    errors.write, errors.status, errors.timeout, latency:percentile(50),
    latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
