-- Changes the number (and zone) of one enrolled, not final lead, keeping the campaign's number index exact.
-- KEYS: 1 info bucket of the contact, 2 state bucket of the contact, 3 number bucket of the new number,
--       4 number bucket of the old number (the caller reads the old number first; see ARGV[4])
-- ARGV: 1 contactId, 2 new e164, 3 new info ("e164|zone"), 4 old e164 as read by the caller
-- Result: 'updated' | 'missing' | 'duplicate' | 'changed' (the old number moved since it was read: read again)
-- Invariant: a campaign's number index maps each number to at most one contact (no two leads dial one number).
local contact = ARGV[1]
local info = redis.call('HGET', KEYS[1], contact)
if not info then return 'missing' end
local state = redis.call('HGET', KEYS[2], contact) or ''
local code = string.sub(state, 1, 1)
if code == 'R' or code == 'f' or code == 'n' or code == 'x' then return 'missing' end
local bar = string.find(info, '|', 1, true)
local old = bar and string.sub(info, 1, bar - 1) or info
if old ~= ARGV[4] then return 'changed' end
local holder = redis.call('HGET', KEYS[3], ARGV[2])
if holder and holder ~= contact then return 'duplicate' end
if old ~= ARGV[2] and redis.call('HGET', KEYS[4], old) == contact then redis.call('HDEL', KEYS[4], old) end
redis.call('HSET', KEYS[3], ARGV[2], contact)
redis.call('HSET', KEYS[1], contact, ARGV[3])
return 'updated'
