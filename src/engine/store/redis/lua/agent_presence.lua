-- An agent's own presence and campaign logins (the same rules as memory-agents.ts).
-- KEYS: 1 the portal's agents hash (agent id -> JSON record)
-- ARGV: 1 agent id, 2 state (available | away | offline), 3 logins JSON ('' keeps them), 4 now
-- Result: { result, agent JSON }; result 'updated', 'on-call' (only the logins changed: the state follows the
-- call), or 'wrap-up-pending' (available needs the disposition first).
-- Invariant: an agent on a call or owing a wrap-up never becomes available here; only the engine moves it.
-- Replay-safe: a second run with the same arguments leaves the same record.
local raw = redis.call('HGET', KEYS[1], ARGV[1])
local now = tonumber(ARGV[4])
local a
if raw then
  a = cjson.decode(raw)
else
  a = { agentId = ARGV[1], state = 'offline', since = now, campaigns = {} }
end
if ARGV[3] ~= '' then a.campaigns = cjson.decode(ARGV[3]) end
local result = 'updated'
if a.state == 'on-call' or a.state == 'ringing' then
  result = 'on-call'
elseif a.state == 'wrap-up' and ARGV[2] == 'available' then
  result = 'wrap-up-pending'
else
  if a.state ~= ARGV[2] then a.since = now end
  a.state = ARGV[2]
  a.call = nil
end
local out = cjson.encode(a)
redis.call('HSET', KEYS[1], ARGV[1], out)
return { result, out }
