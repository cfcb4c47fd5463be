-- claimed -> dial-requested, recorded BEFORE the carrier is asked: from here on the attempt is never dialed
-- again, only finalized. A preview claim acquires its pacer slots here (the rep chose to dial).
-- Safe to run twice: an attempt already dial-requested by this same request (same time and lease) answers 'ok'
-- again without a second pacer slot or a second event.
-- KEYS: 1 attempt, 2 leases, 3 live locks, 4 events, 5 pacer tat, 6 campaign, 7.. (window, live, pending) per level
-- ARGV: 1 now, 2 leaseUntil, 3 attemptId, 4 acquire ('1'/'0'), 5 maxEvents, 6 nLevels, 7 nEvents,
--       8.. level triples, then events
local a = redis.call('HMGET', KEYS[1], 'st', 'dr', 'lease', 'k', 'to', 'nb')
if a[1] == 'dial-requested' and a[2] == ARGV[1] and a[3] == ARGV[2] then return { 'ok', a[6] or ARGV[1] } end
if a[1] ~= 'claimed' then return { 'not-claimed' } end
local now = tonumber(ARGV[1])
local lease = tonumber(ARGV[2])
local attempt = ARGV[3]
local n = tonumber(ARGV[6])
local nb = a[6] or ARGV[1]
if ARGV[4] == '1' then
  local wait, names, not_before = pacer_acquire(n, 8, 7, KEYS[5], KEYS[6], now, attempt, lease, 0, true)
  if wait > 0 then return { 'paced', tostring(wait) } end
  nb = string.format('%.17g', not_before)
  redis.call('HSET', KEYS[1], 'lv', names, 'nb', nb)
else
  for i = 0, n - 1 do redis.call('ZADD', KEYS[7 + i * 3 + 1], 'XX', lease, attempt) end
end
for _, field in ipairs({ 'c:' .. a[4], 'n:' .. a[5] }) do
  local lock = redis.call('HGET', KEYS[3], field)
  if lock and string.sub(lock, 1, #attempt + 1) == attempt .. '|' then
    redis.call('HSET', KEYS[3], field, attempt .. '|' .. ARGV[2])
  end
end
redis.call('HSET', KEYS[1], 'st', 'dial-requested', 'dr', ARGV[1], 'lease', ARGV[2])
redis.call('ZADD', KEYS[2], lease, attempt)
append_events(KEYS[4], ARGV[5], 8 + n * 3, tonumber(ARGV[7]))
return { 'ok', nb }
