-- Enrolls a batch idempotently: a contact already enrolled is left alone, a number already enrolled for another
-- contact is a DUPLICATE, a DNC number or removed contact is DNC; every skip is recorded once with its reason.
-- Safe to run twice: what this request did to each row (one character per row) is kept a few minutes under the
-- request's own key, and a second run of the same request answers from it (a plain second run would find every
-- contact enrolled and answer "none enrolled").
-- KEYS: 1 due, 2 skipped, 3 counts, 4 dnc, 5 removed, 6 events, 7 outcome of this request,
--       then (info bucket, number bucket) per row, then the info bucket per skip
-- ARGV: 1 nRows, 2 nSkipped, 3 portalId, 4 campaignId, 5 now, 6 maxEvents, 7 channel,
--       then (contactId, e164, infoRaw, dueAt) per row, then (contactId, reason) per skip
-- Returns: { enrolled contact ids, flat (contactId, reason) pairs of the skips this request recorded }.
-- Invariant: one lead per number per campaign; a DNC number or removed contact is never enrolled.
local n = tonumber(ARGV[1])
local m = tonumber(ARGV[2])
local base = 8 + n * 4
local enrolled = {}
local skipped = {}

local earlier = redis.call('GET', KEYS[7])
if earlier then
  local reasons = { U = 'DUPLICATE', C = 'DNC' }
  for i = 0, n - 1 do
    local mark = string.sub(earlier, i + 1, i + 1)
    local contact = ARGV[8 + i * 4]
    if mark == 'E' then enrolled[#enrolled + 1] = contact
    elseif reasons[mark] then
      skipped[#skipped + 1] = contact
      skipped[#skipped + 1] = reasons[mark]
    end
  end
  for i = 0, m - 1 do
    if string.sub(earlier, n + i + 1, n + i + 1) == 'S' then
      skipped[#skipped + 1] = ARGV[base + i * 2]
      skipped[#skipped + 1] = ARGV[base + i * 2 + 1]
    end
  end
  return { enrolled, skipped }
end

local counts = {}
local marks = {}
local function skip(contact, reason, info_key)
  if info_key and redis.call('HEXISTS', info_key, contact) == 1 then return false end
  if redis.call('HSETNX', KEYS[2], contact, reason) == 1 then
    redis.call('HINCRBY', KEYS[3], reason, 1)
    skipped[#skipped + 1] = contact
    skipped[#skipped + 1] = reason
    counts[reason] = (counts[reason] or 0) + 1
    return true
  end
  return false
end
for i = 0, n - 1 do
  local contact, e164, info, due = ARGV[8 + i * 4], ARGV[9 + i * 4], ARGV[10 + i * 4], ARGV[11 + i * 4]
  local info_key, number_key = KEYS[8 + i * 2], KEYS[9 + i * 2]
  local mark = '.'
  if redis.call('HEXISTS', info_key, contact) == 0 then
    local holder = redis.call('HGET', number_key, e164)
    if holder and holder ~= contact then
      if skip(contact, 'DUPLICATE', nil) then mark = 'U' end
    elseif redis.call('SISMEMBER', KEYS[4], e164) == 1 or redis.call('SISMEMBER', KEYS[5], contact) == 1 then
      if skip(contact, 'DNC', nil) then mark = 'C' end
    else
      redis.call('HSET', info_key, contact, info)
      redis.call('HSET', number_key, e164, contact)
      redis.call('ZADD', KEYS[1], tonumber(due), contact)
      enrolled[#enrolled + 1] = contact
      mark = 'E'
    end
  end
  marks[#marks + 1] = mark
end
for i = 0, m - 1 do
  -- a skipped contact may have been enrolled by an earlier batch (e.g. its number became invalid): keep it
  local contact = ARGV[base + i * 2]
  local enrolled_key = KEYS[8 + n * 2 + i]
  if skip(contact, ARGV[base + i * 2 + 1], enrolled_key) then marks[#marks + 1] = 'S' else marks[#marks + 1] = '.' end
end
if #enrolled > 0 then redis.call('HINCRBY', KEYS[3], 'enrolled', #enrolled) end
if #enrolled > 0 or #skipped > 0 then
  local ev = { type = 'enrollment', portalId = ARGV[3], campaignId = ARGV[4], at = tonumber(ARGV[5]),
    enrolled = #enrolled, skipped = counts }
  local json = cjson.encode(ev)
  if next(counts) == nil then json = string.gsub(json, '"skipped":%[%]', '"skipped":{}') end
  redis.call('XADD', KEYS[6], 'MAXLEN', '~', ARGV[6], '*', 'e', json)
  redis.call('PUBLISH', ARGV[7], 'enroll')
end
redis.call('SET', KEYS[7], table.concat(marks), 'PX', 600000)
return { enrolled, skipped }
