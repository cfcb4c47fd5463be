-- A rep's wrap-up of an attempt, atomically. One wrap-up per attempt: the same one again is a no-op ('same'),
-- a different one is refused ('conflict').
--  mode 'pending': the call has not finished yet: keep the wrap-up on the attempt; the finish applies it.
--  mode 'apply': the call has finished: compare-and-set the lead (rev as read), DNC first, events, wake-up.
-- Safe to run twice: the wrap-up records its request id, so an earlier run of this same request answers as it
-- did ('saved' or 'applied'), changing nothing.
-- KEYS: 1 attempt, 2 state bucket, 3 due, 4 events, 5 dnc
-- ARGV: 1 wrapUp json, 2 mode, 3 contactId, 4 expectRev, 5 newRev, 6 due ('' none), 7 dncNumber ('' none),
--       8 maxEvents, 9 channel, 10 nEvents, 11 request id, 12.. events
-- Returns: 'saved', 'applied', 'same', 'conflict', 'finished', 'not-finished', 'changed' or 'missing'.
-- Invariant: one wrap-up per attempt, applied to its lead at most once, never over a lead changed since read.
local a = redis.call('HMGET', KEYS[1], 'st', 'wu', 'wq')
if not a[1] then return 'missing' end
if a[2] and a[2] ~= '' then
  if a[2] == ARGV[1] and a[3] == ARGV[11] then
    if ARGV[2] == 'pending' then return 'saved' end
    return 'applied'
  end
  if a[2] == ARGV[1] then return 'same' end
  return 'conflict'
end
if ARGV[2] == 'pending' then
  if a[1] == 'finished' then return 'finished' end
  redis.call('HSET', KEYS[1], 'wu', ARGV[1], 'wq', ARGV[11])
  return 'saved'
end
if a[1] ~= 'finished' then return 'not-finished' end
local contact = ARGV[3]
local cur = redis.call('HGET', KEYS[2], contact) or ''
if cur ~= ARGV[4] then return 'changed' end
if ARGV[7] ~= '' then redis.call('SADD', KEYS[5], ARGV[7]) end
redis.call('HSET', KEYS[2], contact, ARGV[5])
if ARGV[6] == '' then redis.call('ZREM', KEYS[3], contact) else redis.call('ZADD', KEYS[3], tonumber(ARGV[6]), contact) end
redis.call('HSET', KEYS[1], 'wu', ARGV[1], 'wq', ARGV[11])
append_events(KEYS[4], ARGV[8], 12, tonumber(ARGV[10]))
redis.call('PUBLISH', ARGV[9], 'wrap-up')
return 'applied'
