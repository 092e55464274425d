-- One wrk script for every scenario:
--   wrk -t1 -c64 -d8s -s bench/lua/scenario.lua http://127.0.0.1:PORT -- <mode> [arguments]
-- modes:
--   get-user   <id>...                 GET /users/{id}, cycling through the ids
--   post-user  <run-prefix>            POST /users with a unique email per request
--   post-order <user-id>               POST /orders for that user
--   mixed      <user-id> <id>...       80% GET /users/{id}, 20% POST /orders
--   hello-get                          GET /hello            (Elysia baseline)
--   hello-post <run-prefix>            POST /users validated (Elysia baseline)
-- With BENCH_RATE=<requests/s> in the environment, requests are paced to that total rate (the
-- connections then only bound how many are in flight), for latency at a given load.
-- done() prints one line "BENCH_JSON {...}" with counts and latencies (microseconds), counting
-- every response outside 2xx, which wrk itself does not (it counts only >= 400).

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  -- Keeps emails unique between wrk threads; the run prefix keeps them unique between runs.
  thread:set("thread_tag", #threads)
end

-- Every request as the bench's admin (BENCH_TOKEN, set by bench/lib/system.ts); none for the baselines.
local token = os.getenv("BENCH_TOKEN")
local auth_headers = token and { ["Authorization"] = "Bearer " .. token } or {}
local json_headers = { ["Content-Type"] = "application/json", ["Authorization"] = auth_headers["Authorization"] }

function init(args)
  mode = args[1]
  non2xx = 0
  counter = 0
  ids = {}
  for i = 2, #args do
    ids[#ids + 1] = args[i]
  end
end

local function get_user()
  return wrk.format("GET", "/users/" .. ids[(counter % #ids) + 1], auth_headers)
end

local function post_user(path)
  local email = string.format("%s-%d-%d@bench.example.com", ids[1], thread_tag, counter)
  return wrk.format("POST", path, json_headers, '{"name":"Bench User","email":"' .. email .. '"}')
end

local function post_order(user_id)
  local body = '{"user_id":"' .. user_id .. '","items":[{"product_id":"456","quantity":2}]}'
  return wrk.format("POST", "/orders", json_headers, body)
end

function request()
  counter = counter + 1
  if mode == "get-user" then
    return get_user()
  elseif mode == "post-user" then
    return post_user("/users")
  elseif mode == "post-order" then
    return post_order(ids[1])
  elseif mode == "mixed" then
    if counter % 5 == 0 then
      return post_order(ids[1])
    end
    -- the read ids follow the user id
    return wrk.format("GET", "/users/" .. ids[(counter % (#ids - 1)) + 2], auth_headers)
  elseif mode == "hello-get" then
    return wrk.format("GET", "/hello")
  elseif mode == "hello-post" then
    return post_user("/users")
  end
  error("unknown mode " .. tostring(mode))
end

local rate = tonumber(os.getenv("BENCH_RATE") or "")
if rate then
  -- LuaJIT's FFI gives a millisecond clock (wrk's Lua has none); each request takes the next slot.
  local ffi = require("ffi")
  ffi.cdef([[
    typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
    int clock_gettime(int clk_id, bench_timespec *tp);
  ]])
  local ts = ffi.new("bench_timespec")
  local function now_ms()
    ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
    return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
  end
  local interval = 1000 / rate
  local next_at = nil
  function delay()
    local now = now_ms()
    next_at = (next_at or now) + interval
    return math.max(0, math.floor(next_at - interval - now))
  end
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  end
end

function done(summary, latency, requests)
  local bad = 0
  for _, t in ipairs(threads) do
    bad = bad + (t:get("non2xx") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"non2xx":%d,"connect":%d,"read":%d,"write":%d,"timeout":%d,' ..
      '"p50_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f}\n',
    summary.requests, summary.duration, bad, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max, latency.mean))
end
