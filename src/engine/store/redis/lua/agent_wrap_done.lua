-- The agent's wrap-up of a call arrived ('available') or its time ran out ('away'). During the call a
-- wrap-up is only remembered, for the call's end (the same rules as memory-agents.ts).
-- KEYS: 1 agents hash
-- ARGV: 1 agent id, 2 attempt id, 3 to (available | away), 4 now
-- Result: 1 when the agent changed, 0 otherwise.
-- Invariant: only an agent still on this call (or its wrap-up) moves; replay-safe.
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return 0 end
local a = cjson.decode(raw)
if type(a.call) ~= 'table' or a.call.attemptId ~= ARGV[2] then return 0 end
if a.state == 'on-call' then
  if ARGV[3] ~= 'available' or a.call.wrapped then return 0 end
  a.call.wrapped = true
  redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(a))
  return 1
end
if a.state ~= 'wrap-up' then return 0 end
a.state = ARGV[3]
a.since = tonumber(ARGV[4])
a.call = nil
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(a))
return 1
