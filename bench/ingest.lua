-- wrk script for bench/ingest.py: POSTs pre-signed bodies, one per request, in turn.
-- Arguments (after --): a file of "signature<TAB>body" lines, wrk's thread count, the
-- header the signature goes in (x-xero-signature unless given) and the bodies' content type
-- (JSON unless given; Twilio posts forms).
-- Thread i sends lines i, i + threads, i + 2 * threads, ... so no two requests share a body
-- until the file runs out (then it starts again: those are replays).
local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  bodies = {}
  for line in io.lines(args[1]) do
    local signature, body = line:match("^([^\t]+)\t(.*)$")
    bodies[#bodies + 1] = { signature, body }
  end
  step = tonumber(args[2])
  header = args[3] or "x-xero-signature"
  content_type = args[4] or "application/json"
  index = id
end

function request()
  local item = bodies[index % #bodies + 1]
  index = index + step
  return wrk.format("POST", nil, {
    ["Content-Type"] = content_type,
    [header] = item[1],
  }, item[2])
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, ' ..
    '"socket_errors": %d, "non_2xx": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, e.status))
end
