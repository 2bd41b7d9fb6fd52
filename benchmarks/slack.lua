-- wrk script: POST Slack requests signed at the moment they are sent, each used once.
-- Usage: wrk ... -s slack.lua URL -- REQUESTS_FILE THREADS SECRET SENT_LOG START_US RATE RUN
--
-- Each line of REQUESTS_FILE is "content-type<TAB>body"; thread k takes lines k, k+THREADS, ...
-- in order. A body's ZZTRIGGERZZ becomes a trigger id issued now, "<ms>.<line>.<RUN>" (its
-- first part is the time in ms, as tests/slack_requests.new_trigger_id writes it, so the
-- fake Slack can refuse it once it is over 3 s old; RUN is the run's tag, in hex); the
-- request is then signed with the current timestamp, as Slack signs it (libcrypto's
-- HMAC-SHA256, through LuaJIT's FFI). Every send is logged to
-- SENT_LOG-<thread>.tsv as "line<TAB>unix microseconds<TAB>scheduled microseconds".
--
-- RATE = 0 is a closed loop (the next request as soon as the answer is in). RATE > 0 paces
-- the run: the threads share one schedule of RATE requests a second from START_US, and
-- delay() holds each connection's next request until the next slot (wrk sends a connection's
-- first request as it connects); a slot that finds every connection busy is sent late, and
-- the log and the achieved rate say so.

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_usec; } bench_timeval;
int gettimeofday(bench_timeval *tv, void *tz);
const void *EVP_sha256(void);
unsigned char *HMAC(const void *evp_md, const void *key, int key_len,
                    const unsigned char *d, size_t n, unsigned char *md, unsigned int *md_len);
]]
local crypto = ffi.load("libcrypto.so.3")
local tv = ffi.new("bench_timeval[1]")
local md = ffi.new("unsigned char[32]")
local md_len = ffi.new("unsigned int[1]")

local function now_us()
  ffi.C.gettimeofday(tv, nil)
  return tonumber(tv[0].tv_sec) * 1000000 + tonumber(tv[0].tv_usec)
end

local function hmac_hex(key, data)
  crypto.HMAC(crypto.EVP_sha256(), key, #key, data, #data, md, md_len)
  local out = {}
  for i = 0, 31 do
    out[i + 1] = string.format("%02x", md[i])
  end
  return table.concat(out)
end

local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  every = tonumber(args[2])
  secret = args[3]
  log = io.open(args[4] .. "-" .. id .. ".tsv", "w")
  log:setvbuf("line")
  start_us = tonumber(args[5])
  rate = tonumber(args[6])
  run = args[7]
  lines, indexes = {}, {}
  sent, spare, checked, slot = 0, 0, false, 0
  local i = 0
  for line in io.lines(args[1]) do
    if i % every == id then
      local tab = string.find(line, "\t", 1, true)
      table.insert(lines, {string.sub(line, 1, tab - 1), string.sub(line, tab + 1)})
      table.insert(indexes, i)
    end
    i = i + 1
  end
  nlines = #lines
  if rate > 0 then
    interval_us = every * 1000000 / rate
    offset_us = id * 1000000 / rate
    function delay()
      local due = start_us + offset_us + slot * interval_us
      local wait = (due - now_us()) / 1000
      if wait < 0 then
        return 0
      end
      return math.floor(wait)
    end
  end
end

local function build(n, at_us)
  local line = lines[((n - 1) % nlines) + 1]
  local index = indexes[((n - 1) % nlines) + 1]
  local trigger = string.format("%d.%d.%s", math.floor(at_us / 1000), index, run)
  local body = string.gsub(line[2], "ZZTRIGGERZZ", trigger, 1)
  local stamp = tostring(math.floor(at_us / 1000000))
  local headers = {
    ["X-Slack-Request-Timestamp"] = stamp,
    ["X-Slack-Signature"] = "v0=" .. hmac_hex(secret, "v0:" .. stamp .. ":" .. body),
    ["Content-Type"] = line[1],
  }
  return wrk.format("POST", "/slack/events", headers, body), index
end

function request()
  local at = now_us()
  if not checked and id == 0 then
    -- wrk calls thread 0's request() once before the run to check the script: not sent.
    checked = true
    local req = build(1, at)
    return req
  end
  if sent >= nlines then
    -- Every line sent once: a request sent twice would be a doubled report. Until the run
    -- ends, ask for the health check instead (not logged, not counted as sent).
    spare = spare + 1
    return wrk.format("GET", "/healthz")
  end
  sent = sent + 1
  local req, index = build(sent, at)
  local scheduled = 0
  if rate > 0 then
    -- The slot delay() waited for; a connection's first request is sent as it connects.
    scheduled = math.floor(start_us + offset_us + slot * interval_us)
    slot = slot + 1
  end
  log:write(string.format("%d\t%d\t%d\n", index, at, scheduled))
  return req
end

function done(summary, latency, requests)
  local parts = {}
  for _, t in ipairs(threads) do
    table.insert(parts, string.format("[%d,%d,%d]", t:get("id"), t:get("sent"), t:get("spare")))
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
