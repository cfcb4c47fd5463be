-- Library, prepended to claim_batch.lua and dial_requested.lua (see scripts.ts): no KEYS or ARGV of its own.
-- Invariant: a number is never dialed more than its cap per rolling 24 h, nor sooner than its minimum gap.
-- The portal-wide log of recent dials per number: ONE hash, field e164 -> the last few dial times (base 36,
-- oldest first, comma separated). The legal per-24 h caps (Florida, Oklahoma: 3) and the minimum gap hold per
-- number whatever campaign dials it, so every script that commits a dial checks and appends here atomically.
local NUMBER_LOG_DAY_MS = 86400000
-- More than any legal cap needs; bounds the field to a few dozen bytes (a listpack-friendly value).
local NUMBER_LOG_KEEP = 5

-- The dial times of `e164` still inside the last 24 h before `now`, oldest first.
local function number_log_times(key, e164, now)
  local raw = redis.call('HGET', key, e164)
  local times = {}
  if not raw then return times end
  for part in string.gmatch(raw, '[^,]+') do
    local t = tonumber(part, 36)
    if t and t > now - NUMBER_LOG_DAY_MS then times[#times + 1] = t end
  end
  -- nothing left inside 24 h: the field goes, so the hash holds only numbers dialed in the last day
  if #times == 0 then redis.call('HDEL', key, e164) end
  return times
end

-- The earliest time >= now a new dial of `e164` keeps the cap (cap <= 0: none) and the gap (ms) of this caller.
local function number_log_earliest(key, e164, now, cap, gap)
  local times = number_log_times(key, e164, now)
  local earliest = now
  local last = times[#times]
  if last and gap > 0 and last + gap > earliest then earliest = last + gap end
  if cap > 0 and #times >= cap then
    local nth = times[#times - cap + 1] + NUMBER_LOG_DAY_MS
    if nth > earliest then earliest = nth end
  end
  return earliest
end

local function to36(n)
  n = math.floor(n)
  if n == 0 then return '0' end
  local digits = '0123456789abcdefghijklmnopqrstuvwxyz'
  local s = ''
  while n > 0 do
    local d = n % 36
    s = string.sub(digits, d + 1, d + 1) .. s
    n = math.floor(n / 36)
  end
  return s
end

-- Records a dial of `e164` at `at`, dropping times past 24 h.
local function number_log_append(key, e164, at)
  local times = number_log_times(key, e164, at)
  times[#times + 1] = at
  local first = math.max(1, #times - NUMBER_LOG_KEEP + 1)
  local parts = {}
  for i = first, #times do parts[#parts + 1] = to36(math.ceil(times[i])) end
  redis.call('HSET', key, e164, table.concat(parts, ','))
end
