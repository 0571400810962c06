-- wrk script for `make bench` (bench/run.py writes the files it reads).
--
-- Environment:
--   BENCH_METHOD      GET or POST
--   BENCH_PATHS_FILE  request paths, one a line; requests go round them in turn
--   BENCH_THREADS     wrk's -t (the number of threads sharing the paths)
--   BENCH_ONCE        "1": each path is used at most once (one-use questionnaire links):
--                     thread t of T takes lines t, t+T, t+2T, ...; running out is counted
--                     and reported (run.py counts it as errors)
--   BENCH_COOKIES_FILE  Cookie header values, one a line, used in turn (several staff
--                     sessions, so that requests do not all update one session row)
--   BENCH_CSRF        the CSRF token: sent as X-CSRFToken with every POST (its cookie
--                     is in the Cookie lines)
--   BENCH_NONCE       a word unique to this wrk run
--   BENCH_BODY        POST body (form-encoded); "@N@" becomes "<nonce>-<number>", unique
--                     to the request, "@UUID@" a fresh random UUID (a new
--                     submission key), "@S@" a short unique letter string
-- done() prints one line: BENCH_JSON {...} with the latency percentiles in microseconds.

local threads = {}
local counter = 0

local function read_lines(name)
  local lines = {}
  if name == nil or name == "" then
    return lines
  end
  for line in io.lines(name) do
    if line ~= "" then
      lines[#lines + 1] = line
    end
  end
  return lines
end

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  nthreads = tonumber(os.getenv("BENCH_THREADS")) or 1
  method = os.getenv("BENCH_METHOD") or "GET"
  paths = read_lines(os.getenv("BENCH_PATHS_FILE"))
  cookies = read_lines(os.getenv("BENCH_COOKIES_FILE"))
  once = os.getenv("BENCH_ONCE") == "1"
  body_template = os.getenv("BENCH_BODY") or ""
  csrf = os.getenv("BENCH_CSRF") or ""
  nonce = os.getenv("BENCH_NONCE") or "0"
  exhausted = 0
  math.randomseed(os.time() * 1000 + (id or 0) * 7919)
  position = 0
  if once then
    position = id or 0
  end
end

local function uuid4()
  local template = "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx"
  return (string.gsub(template, "[xy]", function(c)
    local v = (c == "x") and math.random(0, 15) or math.random(8, 11)
    return string.format("%x", v)
  end))
end

local function letters(n)
  -- n written in letters a-z (names must not hold digits)
  local out = ""
  repeat
    out = string.char(97 + n % 26) .. out
    n = math.floor(n / 26)
  until n == 0
  return out
end

function request()
  counter = counter + 1
  local path
  if once then
    local index = position + 1
    if index > #paths then
      exhausted = exhausted + 1
      index = #paths
    else
      position = position + nthreads
    end
    path = paths[index]
  else
    path = paths[(counter - 1) % #paths + 1]
  end
  local headers = {}
  if #cookies > 0 then
    headers["Cookie"] = cookies[(counter - 1) % #cookies + 1]
  end
  if method == "GET" then
    return wrk.format("GET", path, headers, nil)
  end
  local unique = (id or 0) * 100000000 + counter
  local body = string.gsub(body_template, "@N@", nonce .. "-" .. tostring(unique))
  body = string.gsub(body, "@S@", letters(unique))
  body = string.gsub(body, "@UUID@", uuid4())
  headers["Content-Type"] = "application/x-www-form-urlencoded"
  headers["X-CSRFToken"] = csrf
  headers["Referer"] = "http://127.0.0.1" .. path
  return wrk.format("POST", path, headers, body)
end

function done(summary, latency, requests)
  local ran_out = 0
  for _, thread in ipairs(threads) do
    ran_out = ran_out + (tonumber(thread:get("exhausted")) or 0)
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p95_us": %d, '
      .. '"p99_us": %d, "max_us": %d, "errors": {"connect": %d, "read": %d, "write": %d, '
      .. '"status": %d, "timeout": %d}, "ran_out": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max, e.connect, e.read, e.write, e.status, e.timeout,
    ran_out
  ))
end
