-- A person answered an attempt: reserve an idle agent of the campaign, or abandon the call, and count it in
-- the campaign period's tally in the same step (the same rules as memory-agents.ts).
-- KEYS: 1 agents hash, 2 attempt hash, 3 period tally hash, 4 abandoned numbers hash
-- ARGV: 1 campaign id, 2 attempt id, 3 contact id, 4 callee number, 5 now, 6 abandon if none ('1' | '0'),
--       7 tally TTL ms
-- Result: { 'connected', agent id } | { 'abandoned' } | { 'none' } (no idle agent, nothing changed).
-- Invariants: one agent takes at most one call at a time (available -> on-call here only); each answered
-- attempt is counted exactly once (its decision is kept on the attempt, so a second run answers the same).
local prior = redis.call('HGET', KEYS[2], 'ans')
if prior then
  if prior == '' then return { 'abandoned' } end
  return { 'connected', prior }
end
if redis.call('EXISTS', KEYS[2]) == 0 then return { 'none' } end
local now = tonumber(ARGV[5])
local best, bestRecord, bestPriority = nil, nil, math.huge
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  local a = cjson.decode(all[i + 1])
  if a.state == 'available' and type(a.campaigns) == 'table' then
    for _, login in ipairs(a.campaigns) do
      if login.campaignId == ARGV[1] then
        local p = tonumber(login.priority)
        local better = p < bestPriority
        if not better and p == bestPriority and bestRecord then
          better = a.since < bestRecord.since or (a.since == bestRecord.since and a.agentId < bestRecord.agentId)
        end
        if better then
          best, bestRecord, bestPriority = all[i], a, p
        end
        break
      end
    end
  end
end
local ttl = tonumber(ARGV[7])
if bestRecord then
  bestRecord.state = 'on-call'
  bestRecord.since = now
  bestRecord.call = { attemptId = ARGV[2], campaignId = ARGV[1], contactId = ARGV[3], connectedAt = now }
  redis.call('HSET', KEYS[1], best, cjson.encode(bestRecord))
  redis.call('HSET', KEYS[2], 'ans', best)
  redis.call('HINCRBY', KEYS[3], 'answered', 1)
  redis.call('PEXPIRE', KEYS[3], ttl)
  return { 'connected', best }
end
if ARGV[6] ~= '1' then return { 'none' } end
redis.call('HSET', KEYS[2], 'ans', '')
redis.call('HINCRBY', KEYS[3], 'answered', 1)
redis.call('HINCRBY', KEYS[3], 'abandoned', 1)
redis.call('PEXPIRE', KEYS[3], ttl)
redis.call('HSET', KEYS[4], ARGV[4], ARGV[5])
return { 'abandoned' }
