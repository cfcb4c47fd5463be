-- Compare-and-set of one lead: reschedule a queued lead, or move it to a final state (unenroll, stop condition).
-- Safe to run twice: a lead already exactly in the requested state (record and queue time) answers 1 and is not
-- touched again (no second event).
-- KEYS: 1 due, 2 state bucket, 3 events
-- ARGV: 1 contactId, 2 expectRev, 3 newRev, 4 due ('' = remove from queue), 5 requireQueued ('1'/'0'),
--       6 maxEvents, 7 nEvents, 8.. events
-- Returns: 1 when the lead changed (or already is exactly as requested), 0 when its record moved.
-- Invariant: compare-and-set: a lead changed since it was read (claimed, finished) is never overwritten.
local contact = ARGV[1]
local cur = redis.call('HGET', KEYS[2], contact) or ''
local queued = redis.call('ZSCORE', KEYS[1], contact)
local same_due = (ARGV[4] == '' and not queued) or (queued and tonumber(queued) == tonumber(ARGV[4]))
if cur == ARGV[3] and same_due then return 1 end
if cur ~= ARGV[2] then return 0 end
if ARGV[5] == '1' and not queued then return 0 end
if ARGV[3] == '' then redis.call('HDEL', KEYS[2], contact) else redis.call('HSET', KEYS[2], contact, ARGV[3]) end
if ARGV[4] == '' then redis.call('ZREM', KEYS[1], contact) else redis.call('ZADD', KEYS[1], tonumber(ARGV[4]), contact) end
append_events(KEYS[3], ARGV[6], 8, tonumber(ARGV[7]))
return 1
