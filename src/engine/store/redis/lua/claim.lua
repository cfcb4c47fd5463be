-- Claims one due lead for a new attempt, atomically: campaign active, lead still due and unchanged, contact not
-- removed nor DNC, no live attempt for the contact or its number in any campaign, dial-mode capacity, pacer at
-- every level. Either everything is written (attempt, live locks, pacer slots, lease) or nothing but a re-queue.
-- Safe to run twice (a reply lost with the connection is re-sent): attempt ids are unique per request, so an
-- attempt record with this id can only come from an earlier run of this same command; it answers that grant
-- again, and a lead this command blocked or moved answers the same denial again, changing nothing.
-- KEYS: 1 campaign, 2 due, 3 info bucket, 4 state bucket, 5 dnc, 6 removed, 7 live locks, 8 attempt, 9 leases,
--       10 pacer tat, 11 events, 12 campaign live zset, 13.. (window, live, pending) per pace level,
--       then the portal's number log (see number_log.lua)
-- ARGV: 1 now, 2 contactId, 3 expectRev, 4 newRev, 5 removedRev, 6 dncRev, 7 attemptId, 8 from, 9 leaseUntil,
--       10 maxLive ('' none), 11 busyRetryMs, 12 amd, 13 agentId, 14 localHour, 15 portalId, 16 maxEvents,
--       17 nLevels, 18.. level triples, then the number's cap per 24 h (0 none) and minimum gap (ms)
-- A claim only checks the number log: the dial is recorded when the attempt becomes dial-requested.
local now = tonumber(ARGV[1])
local contact = ARGV[2]
local n = tonumber(ARGV[17])
local number_log = KEYS[13 + n * 3]
local number_cap = tonumber(ARGV[18 + n * 3]) or 0
local number_gap = tonumber(ARGV[19 + n * 3]) or 0
local earlier = redis.call('HMGET', KEYS[8], 'to', 'due', 'n', 'lv')
if earlier[1] then return { 'ok', earlier[1], earlier[2], earlier[3], earlier[4] or '' } end
local camp = redis.call('HMGET', KEYS[1], 'status', 'id')
if camp[1] ~= 'active' then return { 'inactive' } end
local raw = redis.call('HGET', KEYS[4], contact) or ''
if raw ~= ARGV[3] then
  -- a lead this command blocked (an earlier run of it) answers the same again
  if raw == ARGV[5] then return { 'removed' } end
  if raw == ARGV[6] then return { 'dnc' } end
  return { 'changed' }
end
local info = redis.call('HGET', KEYS[3], contact)
if not info then return { 'changed' } end
local e164 = string.match(info, '^[^|]+')

local function live_elsewhere()
  for _, field in ipairs({ 'c:' .. contact, 'n:' .. e164 }) do
    local lock = redis.call('HGET', KEYS[7], field)
    if lock and tonumber(string.match(lock, '|(%d+)$')) > now then return true end
  end
  return false
end

local due = redis.call('ZSCORE', KEYS[2], contact)
if not due then return { 'not-due' } end
if tonumber(due) > now then
  -- moved back as contact-busy by an earlier run of this command (exactly busyRetryMs from now): the same
  -- answer, nothing changes; any other lead not yet due is simply not due (its due time is never moved earlier)
  if tonumber(due) == now + tonumber(ARGV[11]) and live_elsewhere() then return { 'contact-busy', ARGV[11] } end
  -- moved to the number's earliest allowed time (maybe by an earlier run of this command): the same answer
  if number_log then
    local earliest = number_log_earliest(number_log, e164, now, number_cap, number_gap)
    if earliest == tonumber(due) then return { 'number-limit', tostring(earliest - now) } end
  end
  return { 'not-due' }
end

local function block(rev, reason, why)
  redis.call('HSET', KEYS[4], contact, rev)
  redis.call('ZREM', KEYS[2], contact)
  redis.call('XADD', KEYS[11], 'MAXLEN', '~', ARGV[16], '*', 'e', cjson.encode({
    type = 'lead.removed', portalId = ARGV[15], campaignId = camp[2], contactId = contact, reason = why, at = now }))
  return { reason }
end
if redis.call('SISMEMBER', KEYS[6], contact) == 1 then return block(ARGV[5], 'removed', 'DELETED') end
if redis.call('SISMEMBER', KEYS[5], e164) == 1 then return block(ARGV[6], 'dnc', 'DNC') end

if live_elsewhere() then
  redis.call('ZADD', KEYS[2], 'XX', now + tonumber(ARGV[11]), contact)
  return { 'contact-busy', ARGV[11] }
end

-- the per-number cap and gap hold portal-wide: too soon moves the lead to the earliest allowed time
if number_log then
  local earliest = number_log_earliest(number_log, e164, now, number_cap, number_gap)
  if earliest > now then
    redis.call('ZADD', KEYS[2], 'XX', earliest, contact)
    return { 'number-limit', tostring(earliest - now) }
  end
end

if ARGV[10] ~= '' then
  redis.call('ZREMRANGEBYSCORE', KEYS[12], '-inf', now)
  if redis.call('ZCARD', KEYS[12]) >= tonumber(ARGV[10]) then return { 'capacity' } end
end

local attempt = ARGV[7]
local lease = tonumber(ARGV[9])
local levels = ''
if n > 0 then
  local wait, names = pacer_acquire(n, 18, 13, KEYS[10], KEYS[1], now, attempt, lease, 0, false)
  if wait > 0 then return { 'paced', tostring(wait) } end
  levels = names
end

redis.call('ZREM', KEYS[2], contact)
redis.call('HSET', KEYS[4], contact, ARGV[4])
local lock = attempt .. '|' .. ARGV[9]
redis.call('HSET', KEYS[7], 'c:' .. contact, lock, 'n:' .. e164, lock)
local ordinal = 1
if raw ~= '' then
  local attempts = string.match(raw, '^[^|]*|([^|]*)')
  ordinal = tonumber(attempts, 36) + 1
end
redis.call('HSET', KEYS[8], 'c', camp[2], 'k', contact, 'to', e164, 'from', ARGV[8], 'st', 'claimed',
  'n', ordinal, 'due', due, 'cl', ARGV[1], 'lease', ARGV[9], 'rev', 0, 'prior', raw, 'lv', levels,
  'amd', ARGV[12], 'ag', ARGV[13], 'lh', ARGV[14])
redis.call('ZADD', KEYS[9], lease, attempt)
return { 'ok', e164, due, tostring(ordinal), levels }
