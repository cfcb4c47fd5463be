-- claimed -> dial-requested, recorded BEFORE the carrier is asked: from here on the attempt is never dialed
-- again, only finalized. A preview claim acquires its pacer slots here (the rep chose to dial).
-- KEYS: 1 attempt, 2 leases, 3 live locks, 4 events, 5 pacer tat, 6 campaign, 7.. (window, live) per level
-- ARGV: 1 now, 2 leaseUntil, 3 attemptId, 4 acquire ('1'/'0'), 5 maxEvents, 6 nLevels, 7 nEvents,
--       8.. level triples, then events
local st = redis.call('HGET', KEYS[1], 'st')
if st ~= 'claimed' then return { 'not-claimed' } end
local now = tonumber(ARGV[1])
local lease = tonumber(ARGV[2])
local attempt = ARGV[3]
local n = tonumber(ARGV[6])
if ARGV[4] == '1' then
  local wait, names = pacer_acquire(n, 8, 7, KEYS[5], KEYS[6], now, attempt, lease)
  if wait > 0 then return { 'paced', tostring(wait) } end
  redis.call('HSET', KEYS[1], 'lv', names)
else
  for i = 0, n - 1 do redis.call('ZADD', KEYS[7 + i * 2 + 1], 'XX', lease, attempt) end
end
local a = redis.call('HMGET', KEYS[1], 'k', 'to')
for _, field in ipairs({ 'c:' .. a[1], 'n:' .. a[2] }) do
  local lock = redis.call('HGET', KEYS[3], field)
  if lock and string.sub(lock, 1, #attempt + 1) == attempt .. '|' then
    redis.call('HSET', KEYS[3], field, attempt .. '|' .. ARGV[2])
  end
end
redis.call('HSET', KEYS[1], 'st', 'dial-requested', 'dr', ARGV[1], 'lease', ARGV[2])
redis.call('ZADD', KEYS[2], lease, attempt)
append_events(KEYS[4], ARGV[5], 8 + n * 3, tonumber(ARGV[7]))
return { 'ok' }
