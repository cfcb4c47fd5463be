-- A claimed attempt that never reached dial-requested (worker died, preview skipped or timed out, or the
-- pre-dial check refused): undo the claim as if it never happened and put the lead back in the queue.
-- Safe to run twice: the attempt leaves a short-lived tombstone with the request id, so an earlier run of this
-- same request answers 1 again and changes nothing.
-- KEYS: 1 attempt, 2 due, 3 state bucket, 4 live locks, 5 leases, 6.. level lives
-- ARGV: 1 at, 2 attemptId, 3 levels (as read), 4 channel, 5 request id
-- Returns: 1 when the claim was undone (now or by an earlier run of this request), else 0.
-- Invariant: only an attempt that never reached dial-requested is undone (a dial request is never repeated);
--       a lead made final meanwhile stays final.
local a = redis.call('HMGET', KEYS[1], 'st', 'k', 'to', 'prior', 'lv', 'rq')
if a[1] == 'requeued' and a[6] == ARGV[5] then return 1 end
if a[1] ~= 'claimed' or (a[5] or '') ~= ARGV[3] then return 0 end
local attempt = ARGV[2]
local contact = a[2]
local cur = redis.call('HGET', KEYS[3], contact) or ''
local code = string.sub(cur, 1, 1)
if not (code == 'R' or code == 'f' or code == 'n' or code == 'x') then
  if a[4] == '' then redis.call('HDEL', KEYS[3], contact) else redis.call('HSET', KEYS[3], contact, a[4]) end
  redis.call('ZADD', KEYS[2], tonumber(ARGV[1]), contact)
end
for _, field in ipairs({ 'c:' .. contact, 'n:' .. a[3] }) do
  local lock = redis.call('HGET', KEYS[4], field)
  if lock and string.sub(lock, 1, #attempt + 1) == attempt .. '|' then redis.call('HDEL', KEYS[4], field) end
end
for i = 6, #KEYS do redis.call('ZREM', KEYS[i], attempt) end
redis.call('ZREM', KEYS[5], attempt)
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'st', 'requeued', 'rq', ARGV[5])
redis.call('PEXPIRE', KEYS[1], 600000)
redis.call('PUBLISH', ARGV[4], 'requeue')
return 1
