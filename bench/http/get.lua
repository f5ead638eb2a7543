-- GET one path, or rotate through several (BENCH_PATHS, comma-separated), with optional
-- cookies (BENCH_COOKIE) and Accept-Encoding (BENCH_ENCODING). Prints one JSON line at the end.
local paths = {}
for p in string.gmatch(os.getenv("BENCH_PATHS") or "/", "([^,]+)") do paths[#paths + 1] = p end
local cookie = os.getenv("BENCH_COOKIE") or ""
local encoding = os.getenv("BENCH_ENCODING") or ""
local i = 0
local threads = {}

function setup(thread)
  thread:set("offset", #threads)
  table.insert(threads, thread)
end

function init(args)
  i = offset or 0
  bad = 0
  wrong = 0
end

function request()
  i = i + 1
  local headers = {}
  if cookie ~= "" then headers["Cookie"] = cookie end
  if encoding ~= "" then headers["Accept-Encoding"] = encoding end
  return wrk.format("GET", paths[(i % #paths) + 1], headers)
end

function response(status, headers, body)
  if status ~= 200 then bad = bad + 1 end
end

function done(summary, latency, requests)
  local bad_total = 0
  for _, t in ipairs(threads) do bad_total = bad_total + (t:get("bad") or 0) end
  io.write(string.format(
    'BENCH {"requests": %d, "seconds": %.3f, "rps": %.2f, "p50_ms": %.2f, "p90_ms": %.2f, "p99_ms": %.2f, "max_ms": %.2f, "non_200": %d, "errors": %d, "bytes": %d}\n',
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, bad_total,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.bytes))
end
