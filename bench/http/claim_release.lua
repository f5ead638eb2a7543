-- Claim + release cycles through the real views: each wrk thread (run with -t N -c N, one
-- connection per thread, so its requests go one after the other) signs in as its own
-- translator and alternately claims and releases its own available article.
-- BENCH_IDENTITIES: "sessionid|csrftoken|article_id;…", one per thread.
-- A claim must answer 302 to the translate page, a release 302 to "my work"; anything else
-- counts as a failed step.
local identities = {}
for item in string.gmatch(os.getenv("BENCH_IDENTITIES") or "", "([^;]+)") do
  local session, csrf, article = string.match(item, "([^|]+)|([^|]+)|([^|]+)")
  identities[#identities + 1] = {session = session, csrf = csrf, article = article}
end
local threads = {}

function setup(thread)
  local n = #threads + 1
  local who = identities[((n - 1) % #identities) + 1]
  thread:set("session", who.session)
  thread:set("csrf", who.csrf)
  thread:set("article", who.article)
  table.insert(threads, thread)
end

function init(args)
  claiming = true
  cycles = 0
  failures = 0
  headers = {
    ["Cookie"] = "sessionid=" .. session .. "; csrftoken=" .. csrf,
    ["X-CSRFToken"] = csrf,
    ["Content-Type"] = "application/x-www-form-urlencoded",
  }
end

function request()
  local action = claiming and "claim" or "release"
  return wrk.format("POST", "/articles/" .. article .. "/" .. action .. "/", headers, "")
end

function response(status, hdrs, body)
  local location = hdrs["Location"] or hdrs["location"] or ""
  local wanted = claiming and "/translate/" or "/my-work/"
  if status ~= 302 or not string.find(location, wanted, 1, true) then
    failures = failures + 1
    last_failure = (claiming and "claim" or "release") .. " " .. status .. " " .. location
  end
  if not claiming then cycles = cycles + 1 end
  claiming = not claiming
end

function done(summary, latency, requests)
  local total_cycles, total_failures = 0, 0
  for _, t in ipairs(threads) do
    total_cycles = total_cycles + (t:get("cycles") or 0)
    total_failures = total_failures + (t:get("failures") or 0)
    if t:get("last_failure") then io.write("failed step: " .. t:get("last_failure") .. "\n") end
  end
  local seconds = summary.duration / 1e6
  io.write(string.format(
    'BENCH {"requests": %d, "seconds": %.3f, "rps": %.2f, "cycles_per_s": %.2f, "p50_ms": %.2f, "p90_ms": %.2f, "p99_ms": %.2f, "max_ms": %.2f, "non_200": %d, "errors": %d, "bytes": %d}\n',
    summary.requests, seconds, summary.requests / seconds, total_cycles / seconds,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, total_failures,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.bytes))
end
