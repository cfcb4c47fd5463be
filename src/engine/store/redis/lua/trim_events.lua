-- Trims a portal's event stream without ever dropping an entry a consumer group still needs: with groups, only
-- entries below every group's oldest pending entry and past its last-delivered id go (XTRIM MINID ~, which
-- never removes an id at or above the threshold); a stream without groups keeps its newest `cap` entries.
-- Trims only once the stream is longer than `cap`, so the live monitor keeps recent history.
-- KEYS: 1 events stream
-- ARGV: 1 cap
-- Returns the number of entries removed.
-- Invariant: no entry a consumer group has not acked (or not yet read) is trimmed.
local cap = tonumber(ARGV[1])
if redis.call('XLEN', KEYS[1]) <= cap then return 0 end
local groups = redis.call('XINFO', 'GROUPS', KEYS[1])
if #groups == 0 then return redis.call('XTRIM', KEYS[1], 'MAXLEN', '~', cap) end

local function parse(id)
  local ms, seq = string.match(id, '^(%d+)-(%d+)$')
  return tonumber(ms), tonumber(seq)
end
local floor_ms, floor_seq = nil, nil
for _, g in ipairs(groups) do
  local name, last, pending
  for i = 1, #g, 2 do
    if g[i] == 'name' then
      name = g[i + 1]
    elseif g[i] == 'last-delivered-id' then
      last = g[i + 1]
    elseif g[i] == 'pending' then
      pending = tonumber(g[i + 1])
    end
  end
  local ms, seq
  if pending > 0 then
    -- the oldest unacked entry stays (pending entries are never past last-delivered)
    ms, seq = parse(redis.call('XPENDING', KEYS[1], name)[2])
  else
    -- everything up to last-delivered was acked: keep from the next possible id
    ms, seq = parse(last)
    seq = seq + 1
  end
  if floor_ms == nil or ms < floor_ms or (ms == floor_ms and seq < floor_seq) then
    floor_ms, floor_seq = ms, seq
  end
end
return redis.call('XTRIM', KEYS[1], 'MINID', '~', string.format('%d-%d', floor_ms, floor_seq))
