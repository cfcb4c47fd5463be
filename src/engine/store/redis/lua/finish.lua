-- Finishes an attempt once, atomically: lead state and due time, live locks, concurrency slots, lease, DNC,
-- campaign pause, events, wake-up. A second finish is a no-op. A lead removed during the call stays removed.
-- Safe to run twice: the finish records its request id, so an earlier run of this same request answers
-- 'finished' again (changing nothing), while any other finish of a finished attempt is 'already-finished'.
-- KEYS: 1 attempt, 2 campaign, 3 due, 4 state bucket, 5 live locks, 6 leases, 7 events, 8 dnc, 9.. level lives
-- ARGV: 1 now, 2 newLeadRev, 3 nextAt ('' none), 4 dncNumber, 5 pause ('1'), 6 levels (as read), 7 attemptId,
--       8 maxEvents, 9 channel, 10 summary, 11 nEvents, 12 wrap-up applied ('' none), 13 request id,
--       14 progress ('' none: keep), 15 progress revision it was folded over ('' none), 16.. events
-- A rep's wrap-up saved after the caller read the attempt was not applied: 'stale-wrap-up', read again.
-- Progress saved by another callback since the caller's fold: 'stale-progress', fold again.
-- Returns: 'finished', 'already-finished', 'missing', 'stale-wrap-up', 'stale-progress' or 'stale-levels'
--       (the caller's levels were out of date: read the attempt again).
-- Invariant: an attempt is finished once; its live locks and slots are released exactly once; a lead made
--       final (removed, DNC) during the call is never requeued.
local a = redis.call('HMGET', KEYS[1], 'st', 'k', 'to', 'lv', 'wu', 'fid', 'rev')
if not a[1] then return 'missing' end
if a[1] == 'finished' then
  if a[6] == ARGV[13] then return 'finished' end
  return 'already-finished'
end
if (a[4] or '') ~= ARGV[6] then return 'stale-levels' end
if (a[5] or '') ~= ARGV[12] then return 'stale-wrap-up' end
if ARGV[15] ~= '' and a[7] ~= ARGV[15] then return 'stale-progress' end
if ARGV[14] ~= '' then redis.call('HSET', KEYS[1], 'prog', ARGV[14], 'rev', tonumber(a[7]) + 1) end
local attempt = ARGV[7]
local contact = a[2]
local cur = redis.call('HGET', KEYS[4], contact) or ''
local code = string.sub(cur, 1, 1)
if not (code == 'R' or code == 'f' or code == 'n' or code == 'x') then
  redis.call('HSET', KEYS[4], contact, ARGV[2])
  if ARGV[3] ~= '' then redis.call('ZADD', KEYS[3], tonumber(ARGV[3]), contact)
  else redis.call('ZREM', KEYS[3], contact) end
end
for _, field in ipairs({ 'c:' .. contact, 'n:' .. a[3] }) do
  local lock = redis.call('HGET', KEYS[5], field)
  if lock and string.sub(lock, 1, #attempt + 1) == attempt .. '|' then redis.call('HDEL', KEYS[5], field) end
end
for i = 9, #KEYS do redis.call('ZREM', KEYS[i], attempt) end
redis.call('ZREM', KEYS[6], attempt)
if ARGV[4] ~= '' then redis.call('SADD', KEYS[8], ARGV[4]) end
if ARGV[5] == '1' and redis.call('HGET', KEYS[2], 'status') == 'active' then
  redis.call('HSET', KEYS[2], 'status', 'paused', 'upd', ARGV[1])
  redis.call('HINCRBY', KEYS[2], 'v', 1)
end
redis.call('HSET', KEYS[1], 'st', 'finished', 'fin', ARGV[10], 'fid', ARGV[13])
redis.call('PEXPIRE', KEYS[1], 172800000)
append_events(KEYS[7], ARGV[8], 16, tonumber(ARGV[11]))
redis.call('PUBLISH', ARGV[9], 'finish')
return 'finished'
