-- bench/run api: every wrk connection GETs one path (the first argument) with the bearer token from
-- AVROP_TOKEN; the summary is printed as `name value` lines for the benchmark to read.
local path = "/"

function init(args)
  path = args[1]
  wrk.headers["Authorization"] = "Bearer " .. os.getenv("AVROP_TOKEN")
end

function request()
  return wrk.format("GET", path)
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format("requests %d\n", summary.requests))
  io.write(string.format("duration_us %d\n", summary.duration))
  io.write(string.format("errors %d\n", errors.connect + errors.read + errors.write + errors.status + errors.timeout))
  for _, p in ipairs({ 50, 99 }) do
    io.write(string.format("p%d_us %d\n", p, latency:percentile(p)))
  end
end
