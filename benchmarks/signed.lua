-- wrk script: POST pre-signed, distinct Slack requests, each used once.
-- Usage: wrk ... -s signed.lua URL -- REQUESTS_FILE THREADS
-- Each line of REQUESTS_FILE is "timestamp<TAB>signature<TAB>content-type<TAB>body";
-- thread k takes lines k, k+THREADS, k+2*THREADS, ... in order.

local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  lines = {}
  sent = 0
  local every = tonumber(args[2])
  local i = 0
  for line in io.lines(args[1]) do
    if i % every == id then
      local a = string.find(line, "\t", 1, true)
      local b = string.find(line, "\t", a + 1, true)
      local c = string.find(line, "\t", b + 1, true)
      local headers = {
        ["X-Slack-Request-Timestamp"] = string.sub(line, 1, a - 1),
        ["X-Slack-Signature"] = string.sub(line, a + 1, b - 1),
        ["Content-Type"] = string.sub(line, b + 1, c - 1),
      }
      table.insert(lines, wrk.format("POST", "/slack/events", headers, string.sub(line, c + 1)))
    end
    i = i + 1
  end
  nlines = #lines
end

function request()
  sent = sent + 1
  return lines[((sent - 1) % #lines) + 1]
end

function done(summary, latency, requests)
  local parts = {}
  for _, t in ipairs(threads) do
    table.insert(parts, string.format("[%d,%d,%d]", t:get("id"), t:get("sent"), t:get("nlines")))
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests":%d,"duration_us":%d,"connect_errors":%d,"read_errors":%d,' ..
    '"write_errors":%d,"status_errors":%d,"timeouts":%d,"p50_us":%d,"p95_us":%d,' ..
    '"p99_us":%d,"max_us":%d,"mean_us":%.1f,"threads":[%s]}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max,
    latency.mean, table.concat(parts, ",")))
end
