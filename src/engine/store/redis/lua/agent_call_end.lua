-- An attempt's call ended: the agent who took it goes on-call -> wrap-up, or straight to available when its
-- wrap-up arrived during the call (the same rules as memory-agents.ts).
-- KEYS: 1 agents hash, 2 attempt hash
-- ARGV: 1 attempt id, 2 now
-- Result: { agent id, state after }, { '', 'abandoned' } for an abandoned call, { } when nobody answered.
-- Invariant: only the agent still on this very call moves; replay-safe (a second run finds it moved).
local id = redis.call('HGET', KEYS[2], 'ans')
if not id then return {} end
if id == '' then return { '', 'abandoned' } end
local raw = redis.call('HGET', KEYS[1], id)
if not raw then return { id, '' } end
local a = cjson.decode(raw)
if a.state ~= 'on-call' or type(a.call) ~= 'table' or a.call.attemptId ~= ARGV[1] then return { id, a.state } end
local now = tonumber(ARGV[2])
a.since = now
if a.call.wrapped then
  a.state = 'available'
  a.call = nil
else
  a.state = 'wrap-up'
  a.call.endedAt = now
end
redis.call('HSET', KEYS[1], id, cjson.encode(a))
return { id, a.state }
