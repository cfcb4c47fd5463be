-- Compare-and-set of an attempt's folded call progress; every callback also extends the attempt's lease, its
-- live locks and its concurrency slots (a lost final callback then frees them when the lease runs out).
-- Safe to run twice: progress and lease already written at the next revision by this same request answer 1 again.
-- KEYS: 1 attempt, 2 leases, 3 live locks, 4 events, 5.. level live zsets
-- ARGV: 1 expectRev, 2 progress, 3 leaseUntil, 4 attemptId, 5 maxEvents, 6 nEvents, 7.. events
-- Returns: 1 when saved, 0 when the revision moved (fold again) or the attempt is finished.
-- Invariant: progress revisions only move forward, and a finished attempt's leases are never extended.
local a = redis.call('HMGET', KEYS[1], 'st', 'rev', 'k', 'to', 'prog', 'lease')
if a[2] and tonumber(a[2]) == tonumber(ARGV[1]) + 1 and a[5] == ARGV[2] and a[6] == ARGV[3] then return 1 end
if not a[1] or a[1] == 'finished' or a[2] ~= ARGV[1] then return 0 end
local attempt = ARGV[4]
local lease = tonumber(ARGV[3])
redis.call('HSET', KEYS[1], 'prog', ARGV[2], 'rev', tonumber(a[2]) + 1, 'lease', ARGV[3])
redis.call('ZADD', KEYS[2], 'XX', lease, attempt)
for i = 5, #KEYS do redis.call('ZADD', KEYS[i], 'XX', lease, attempt) end
for _, field in ipairs({ 'c:' .. a[3], 'n:' .. a[4] }) do
  local lock = redis.call('HGET', KEYS[3], field)
  if lock and string.sub(lock, 1, #attempt + 1) == attempt .. '|' then
    redis.call('HSET', KEYS[3], field, attempt .. '|' .. ARGV[3])
  end
end
append_events(KEYS[4], ARGV[5], 7, tonumber(ARGV[6]))
return 1
