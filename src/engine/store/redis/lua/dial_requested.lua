-- claimed -> dial-requested, recorded BEFORE the carrier is asked: from here on the attempt is never dialed
-- again, only finalized. A preview claim acquires its pacer slots here (the rep chose to dial).
-- Safe to run twice: an attempt already dial-requested by this same request (same time and lease) answers 'ok'
-- again without a second pacer slot or a second event.
-- A preview claim may be held for up to an hour, so everything the claim checked is checked again here, at the
-- moment of the dial: the claim's lease, campaign active, contact not removed, number not DNC, the lead still
-- held by this claim, the number's portal-wide cap and gap (then the dial is recorded in the number log).
-- KEYS: 1 attempt, 2 leases, 3 live locks, 4 events, 5 pacer tat, 6 campaign, 7.. (window, live, pending) per level,
--       then the lead's state bucket, dnc, removed, number log
-- ARGV: 1 now, 2 leaseUntil, 3 attemptId, 4 acquire ('1'/'0'), 5 maxEvents, 6 nLevels, 7 nEvents,
--       8.. level triples, then the number's cap per 24 h (0 none) and minimum gap (ms), then events
-- Returns: { 'ok' } or { denial, waitMs? } (not-claimed, expired, inactive, removed, dnc, changed, paced,
--       number-limit); a denial changes nothing.
-- Invariant: no dial of a DNC number, a removed contact or past the number's cap and gap, and no attempt
--       dial-requested twice (it is never dialed again, only finalized).
local a = redis.call('HMGET', KEYS[1], 'st', 'dr', 'lease', 'k', 'to', 'nb')
if a[1] == 'dial-requested' and a[2] == ARGV[1] and a[3] == ARGV[2] then return { 'ok', a[6] or ARGV[1] } end
if a[1] ~= 'claimed' then return { 'not-claimed' } end
local now = tonumber(ARGV[1])
local lease = tonumber(ARGV[2])
local attempt = ARGV[3]
local n = tonumber(ARGV[6])
local nb = a[6] or ARGV[1]
local extra = 7 + n * 3
if tonumber(a[3]) <= now then return { 'expired' } end
if redis.call('HGET', KEYS[6], 'status') ~= 'active' then return { 'inactive' } end
if redis.call('SISMEMBER', KEYS[extra + 2], a[4]) == 1 then return { 'removed' } end
if redis.call('SISMEMBER', KEYS[extra + 1], a[5]) == 1 then return { 'dnc' } end
-- held: `d|attempts|first|cte|recent|<this attempt id>[|...]`
local raw = redis.call('HGET', KEYS[extra], a[4]) or ''
local fields = {}
for field in string.gmatch(raw .. '|', '([^|]*)|') do fields[#fields + 1] = field end
if fields[1] ~= 'd' or fields[6] ~= attempt then return { 'changed' } end
local earliest = number_log_earliest(KEYS[extra + 3], a[5], now, tonumber(ARGV[8 + n * 3]) or 0,
  tonumber(ARGV[9 + n * 3]) or 0)
if earliest > now then return { 'number-limit', tostring(earliest - now) } end
if ARGV[4] == '1' then
  local wait, names, not_before = pacer_acquire(n, 8, 7, KEYS[5], KEYS[6], now, attempt, lease, 0, true)
  if wait > 0 then return { 'paced', tostring(wait) } end
  nb = string.format('%.17g', not_before)
  redis.call('HSET', KEYS[1], 'lv', names, 'nb', nb)
else
  for i = 0, n - 1 do redis.call('ZADD', KEYS[7 + i * 3 + 1], 'XX', lease, attempt) end
end
for _, field in ipairs({ 'c:' .. a[4], 'n:' .. a[5] }) do
  local lock = redis.call('HGET', KEYS[3], field)
  if lock and string.sub(lock, 1, #attempt + 1) == attempt .. '|' then
    redis.call('HSET', KEYS[3], field, attempt .. '|' .. ARGV[2])
  end
end
redis.call('HSET', KEYS[1], 'st', 'dial-requested', 'dr', ARGV[1], 'lease', ARGV[2])
redis.call('ZADD', KEYS[2], lease, attempt)
number_log_append(KEYS[extra + 3], a[5], math.max(now, tonumber(nb)))
append_events(KEYS[4], ARGV[5], 10 + n * 3, tonumber(ARGV[7]))
return { 'ok', nb }
