-- The one claim script: claims due leads of one campaign for new attempts (a single claim is a batch of one).
-- Per candidate, in order: campaign active, lead unchanged since peeked, still due, contact not removed and
-- number not DNC (both block the lead for good), no live attempt for the contact or its number in any
-- campaign (moved back busyRetryMs), the number's portal-wide cap and gap (moved to its earliest allowed time),
-- dial-mode capacity, the pacer at every level. Stops at the first 'inactive', 'settings-changed', 'capacity'
-- or 'paced': later candidates are left untouched in the queue. 'settings-changed': the caller named the
-- campaign version its pre-dial checks used (ARGV 12) and the stored one differs (paused, edited, resumed
-- since): nothing is claimed under settings that are no longer the campaign's. With a dial lease, a granted attempt is written directly as
-- dial-requested (its attempt.started event appended and the dial recorded in the number log at its
-- not-before time): from then on it is never dialed again, only finalized, so a worker that dies before
-- telephony.dial costs that lead one attempt, never a second call.
-- KEYS: 1 campaign, 2 due, 3 dnc, 4 removed, 5 live locks, 6 leases, 7 pacer tat, 8 events, 9 campaign live,
--       10.. (window, live, pending) per pace level, then the portal's number log (number_log.lua), then
--       (info bucket, state bucket, attempt) per candidate
-- ARGV: 1 now, 2 nCandidates, 3 claimLeaseUntil, 4 dialLeaseUntil ('' = stay claimed), 5 maxLive ('' none),
--       6 busyRetryMs, 7 amd, 8 portalId, 9 maxEvents, 10 nLevels, 11 early (ms a grant may precede its
--       rate-window slot; the caller waits for the returned not-before time), 12 lockBound (ms past its lease a
--       live lock is presumed orphaned), 13 campaign version the checks used ('' = not checked), 14.. level
--       triples,
--       then 12 fields per candidate: contactId, expectRev, newRev, removedRev, dncRev, attemptId, from,
--       localHour, startedEvent, the number's cap per 24 h (0 none), its minimum gap (ms), agentId
-- Returns: { stop ('' | 'inactive' | 'settings-changed' | 'capacity' | 'paced'), stopWaitMs ('' none), results } with one result
--       per candidate examined: { 'ok', e164, due, ordinal, levels, notBefore } or { denial, waitMs ('' none) }
--       (denials: changed, not-due, removed, dnc, contact-busy, number-limit).
-- Invariants: never a claim under settings other than those the pre-dial checks used (with a version); never
-- two live attempts for one contact or one number portal-wide (an expired lease means "unknown", never "free":
-- a lock holds until its attempt's finish or requeue, or lockBound past its lease); never a DNC number or a
-- removed contact; never past a number's cap or gap, a campaign's capacity or a pacer level's rate and cap.
-- Safe to run twice (a reply lost with the connection is re-sent): attempt ids are unique per request, so an
-- attempt record with a candidate's id can only come from an earlier run of this same command: that grant is
-- answered again as it was (no second pacer slot, no second attempt.started), and a lead this command blocked
-- or moved answers the same denial, changing nothing.
local now = tonumber(ARGV[1])
local n = tonumber(ARGV[2])
local levels_n = tonumber(ARGV[10])
local dial_lease = ARGV[4]
local lease_arg = ARGV[3]
if dial_lease ~= '' then lease_arg = dial_lease end
local lease = tonumber(lease_arg)
local lock_bound = tonumber(ARGV[12])
local camp = redis.call('HMGET', KEYS[1], 'status', 'id', 'v')
local number_log = KEYS[10 + levels_n * 3]
local cand_keys = 11 + levels_n * 3
local cand_args = 14 + levels_n * 3
local results = {}

local function block(c, rev, reason, why)
  redis.call('HSET', c.state_key, c.contact, rev)
  redis.call('ZREM', KEYS[2], c.contact)
  redis.call('XADD', KEYS[8], 'MAXLEN', '~', ARGV[9], '*', 'e', cjson.encode({
    type = 'lead.removed', portalId = ARGV[8], campaignId = camp[2], contactId = c.contact, reason = why, at = now }))
  return { reason, '' }
end

local function live_elsewhere(c, e164)
  for _, field in ipairs({ 'c:' .. c.contact, 'n:' .. e164 }) do
    local lock = redis.call('HGET', KEYS[5], field)
    -- an expired lease means "unknown", never "free": a call may be up, so its lock holds until the finish
    -- deletes it, or until the hard bound past its lease (an orphaned lock). Only a claim that never became a
    -- dial request (marked '|c|') is free once its lease ends: the dial request refuses an expired claim.
    if lock then
      local until_ms = tonumber(string.match(lock, '|(%d+)$'))
      if string.find(lock, '|c|', 1, true) then
        if until_ms > now then return true end
      elseif until_ms + lock_bound > now then
        return true
      end
    end
  end
  return false
end

local function claim_one(c)
  local earlier = redis.call('HMGET', c.attempt_key, 'to', 'due', 'n', 'lv', 'nb')
  if earlier[1] then return { 'ok', earlier[1], earlier[2], earlier[3], earlier[4] or '', earlier[5] or ARGV[1] } end
  if camp[1] ~= 'active' then return { 'inactive' } end
  if ARGV[13] ~= '' and camp[3] ~= ARGV[13] then return { 'settings-changed' } end
  local raw = redis.call('HGET', c.state_key, c.contact) or ''
  if raw ~= c.expect then
    if raw == c.removed_rev then return { 'removed', '' } end
    if raw == c.dnc_rev then return { 'dnc', '' } end
    return { 'changed', '' }
  end
  local info = redis.call('HGET', c.info_key, c.contact)
  if not info then return { 'changed', '' } end
  local e164 = string.match(info, '^[^|]+')
  local due = redis.call('ZSCORE', KEYS[2], c.contact)
  if not due then return { 'not-due', '' } end
  if tonumber(due) > now then
    -- moved back as contact-busy by an earlier run of this command (exactly busyRetryMs from now): the same
    -- answer; any other lead not yet due is simply not due
    if tonumber(due) == now + tonumber(ARGV[6]) and live_elsewhere(c, e164) then return { 'contact-busy', ARGV[6] } end
    -- moved to the number's earliest allowed time (maybe by an earlier run of this command): the same answer
    local earliest = number_log_earliest(number_log, e164, now, c.cap, c.gap)
    if earliest == tonumber(due) then return { 'number-limit', tostring(earliest - now) } end
    return { 'not-due', '' }
  end
  if redis.call('SISMEMBER', KEYS[4], c.contact) == 1 then return block(c, c.removed_rev, 'removed', 'DELETED') end
  if redis.call('SISMEMBER', KEYS[3], e164) == 1 then return block(c, c.dnc_rev, 'dnc', 'DNC') end
  if live_elsewhere(c, e164) then
    redis.call('ZADD', KEYS[2], 'XX', now + tonumber(ARGV[6]), c.contact)
    return { 'contact-busy', ARGV[6] }
  end
  -- the per-number cap and gap hold portal-wide: too soon moves the lead to the earliest allowed time
  local earliest = number_log_earliest(number_log, e164, now, c.cap, c.gap)
  if earliest > now then
    redis.call('ZADD', KEYS[2], 'XX', earliest, c.contact)
    return { 'number-limit', tostring(earliest - now) }
  end
  if ARGV[5] ~= '' then
    redis.call('ZREMRANGEBYSCORE', KEYS[9], '-inf', now)
    if redis.call('ZCARD', KEYS[9]) >= tonumber(ARGV[5]) then return { 'capacity' } end
  end
  local names = ''
  local not_before = now
  if levels_n > 0 then
    local wait, acquired, nb = pacer_acquire(levels_n, 14, 10, KEYS[7], KEYS[1], now, c.attempt, lease,
      tonumber(ARGV[11]), dial_lease ~= '')
    if wait > 0 then return { 'paced', tostring(wait) } end
    names = acquired
    not_before = nb
  end
  redis.call('ZREM', KEYS[2], c.contact)
  redis.call('HSET', c.state_key, c.contact, c.new_rev)
  -- '|c|' marks a claim not yet dial-requested (dial_requested.lua rewrites the lock without it)
  local lock = c.attempt .. '|' .. lease_arg
  if dial_lease == '' then lock = c.attempt .. '|c|' .. lease_arg end
  redis.call('HSET', KEYS[5], 'c:' .. c.contact, lock, 'n:' .. e164, lock)
  local ordinal = 1
  if raw ~= '' then ordinal = tonumber(string.match(raw, '^[^|]*|([^|]*)'), 36) + 1 end
  local nb = string.format('%.17g', not_before)
  redis.call('HSET', c.attempt_key, 'c', camp[2], 'k', c.contact, 'to', e164, 'from', c.from, 'st', 'claimed',
    'n', ordinal, 'due', due, 'cl', ARGV[1], 'lease', lease_arg, 'rev', 0, 'prior', raw, 'lv', names,
    'amd', ARGV[7], 'ag', c.agent, 'lh', c.local_hour, 'nb', nb)
  if dial_lease ~= '' then
    redis.call('HSET', c.attempt_key, 'st', 'dial-requested', 'dr', ARGV[1])
    redis.call('XADD', KEYS[8], 'MAXLEN', '~', ARGV[9], '*', 'e', c.started)
    number_log_append(number_log, e164, not_before)
  end
  redis.call('ZADD', KEYS[6], lease, c.attempt)
  return { 'ok', e164, due, tostring(ordinal), names, nb }
end

local stop = ''
local stop_wait = ''
for i = 0, n - 1 do
  local a = cand_args + i * 12
  local k = cand_keys + i * 3
  local c = { contact = ARGV[a], expect = ARGV[a + 1], new_rev = ARGV[a + 2], removed_rev = ARGV[a + 3],
    dnc_rev = ARGV[a + 4], attempt = ARGV[a + 5], from = ARGV[a + 6], local_hour = ARGV[a + 7],
    started = ARGV[a + 8], cap = tonumber(ARGV[a + 9]) or 0, gap = tonumber(ARGV[a + 10]) or 0, agent = ARGV[a + 11],
    info_key = KEYS[k], state_key = KEYS[k + 1], attempt_key = KEYS[k + 2] }
  local r = claim_one(c)
  if r[1] == 'inactive' or r[1] == 'settings-changed' or r[1] == 'capacity' or r[1] == 'paced' then
    stop = r[1]
    stop_wait = r[2] or ''
    break
  end
  results[#results + 1] = r
end
return { stop, stop_wait, results }
