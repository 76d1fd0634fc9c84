-- wrk script for bench/booking_http.py: POST a booking per request, each with its own
-- Idempotency-Key, for a weekday of the nine weeks from START, a start on the 15-minute
-- grid from 12:00 to 20:45 and a party of 2 to 4. At the end it prints one line,
-- "RESULT <json>": the latency percentiles (ms) and the count of answers by status.
local key = os.getenv("RESERVE_BENCH_KEY")
local start = os.getenv("RESERVE_BENCH_START")  -- YYYY-MM-DD, a Monday
local threads = {}
local serial = 0

function setup(thread)
  serial = serial + 1
  thread:set("seed", serial)
  table.insert(threads, thread)
end

local days = {}
local counts = {}
local sent = 0

function init(args)
  math.randomseed(seed)
  local y, m, d = start:match("(%d+)-(%d+)-(%d+)")
  local monday = os.time({year = tonumber(y), month = tonumber(m), day = tonumber(d), hour = 12})
  for week = 0, 8 do
    for weekday = 0, 4 do
      days[#days + 1] = os.date("%Y-%m-%d", monday + (week * 7 + weekday) * 86400)
    end
  end
end

function request()
  sent = sent + 1
  local quarter = math.random(0, 35)
  local body = string.format(
    '{"party_size": %d, "date": "%s", "time": "%02d:%02d", '
      .. '"guest": {"name": "Bench", "email": "bench@example.com"}, "source": "load_test"}',
    math.random(2, 4), days[math.random(#days)], 12 + math.floor(quarter / 4), 15 * (quarter % 4))
  return wrk.format("POST", "/v1/restaurants/white-horse/bookings", {
    ["Authorization"] = "Bearer " .. key,
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = string.format("bench-%d-%d-%d", seed, os.time(), sent),
  }, body)
end

function response(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
  -- thread:get copies plain values: keep the counts as a string as well.
  local parts = {}
  for code, n in pairs(counts) do parts[#parts + 1] = string.format('"%d": %d', code, n) end
  tally = table.concat(parts, ", ")
end

function done(summary, latency, requests)
  local statuses = {}
  for _, thread in ipairs(threads) do
    local tally = thread:get("tally")
    if tally and tally ~= "" then statuses[#statuses + 1] = "{" .. tally .. "}" end
  end
  io.write(string.format(
    'RESULT {"requests": %d, "seconds": %.3f, "p50_ms": %.3f, "p99_ms": %.3f, '
      .. '"max_ms": %.3f, "socket_errors": %d, "statuses": [%s]}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.timeout,
    table.concat(statuses, ", ")))
end
