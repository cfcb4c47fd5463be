-- dial-requested -> dialed with the carrier's call id; a finished attempt (fast final callback) keeps its state.
-- Safe to run twice: the second run finds its own write and answers 1 again.
-- KEYS: 1 attempt
-- ARGV: 1 providerCallId
-- Returns: 1 when the attempt is (now) dialed with this call id, else 0 (the call id is still kept when none
--       was recorded).
-- Invariant: a finished attempt never goes back to dialed.
local a = redis.call('HMGET', KEYS[1], 'st', 'pid')
if a[1] == 'dialed' and a[2] == ARGV[1] then return 1 end
if a[1] == 'dial-requested' then
  redis.call('HSET', KEYS[1], 'st', 'dialed', 'pid', ARGV[1])
  return 1
end
if a[1] then redis.call('HSETNX', KEYS[1], 'pid', ARGV[1]) end
return 0
