-- Library, prepended to claim_batch.lua, wrap_up.lua, dial_requested.lua, save_progress.lua, finish.lua, set_lead.lua
-- and save_campaign.lua (see scripts.ts): no KEYS or ARGV of its own; its functions take the keys they touch.
-- Invariant: never more than ceil(cps) grants in any 1000 ms window nor more live attempts than the cap, per level.
-- Pacer library, prepended to the scripts that grant calls (see src/engine/pacer.ts for the rules it mirrors).
-- Per level: a window zset (one entry per call: its slot until the call is sent, then its recorded send time; the
-- hard cap of ceil(cps) per 1000 ms), a pending zset (calls granted for dialing but not yet sent, by slot), a
-- live zset (attempt id scored by lease expiry, the concurrency cap) and a GCRA schedule time in the shared tat
-- hash.
local WINDOW_MS = 1000
-- The carrier reads its own clock a moment after our recorded send time (next millisecond, at worst a couple):
-- a new call's slot keeps this much more than WINDOW_MS from the call ceil(cps) grants earlier.
local GUARD_MS = 2
-- A pending call whose slot has passed counts as sent now (it can only go out now or later) for this long;
-- after that its worker is presumed dead and the call counts at its slot (it then never holds the window).
local PENDING_MAX_MS = 5000

-- Within one script run `now` is fixed and the script only adds entries at `now` or later, so each level is
-- pruned once per run and its schedule time and the campaign's limits are read once (a batch claim asks the
-- pacer for every candidate).
local pacer_pruned = {}
local pacer_tats = {}
local pacer_campaign = nil

local function pacer_tat(tat_key, name)
  local tat = pacer_tats[name]
  if tat == nil then
    tat = tonumber(redis.call('HGET', tat_key, name)) or false
    pacer_tats[name] = tat
  end
  return tat
end

-- Returns the wait (ms) for the concurrency cap and the schedule, and when the rate window next has room.
local function pacer_wait(window_key, live_key, pending_key, tat_key, name, cps, cap, now)
  if not pacer_pruned[window_key] then
    redis.call('ZREMRANGEBYSCORE', live_key, '-inf', now)
    redis.call('ZREMRANGEBYSCORE', window_key, '-inf', now - WINDOW_MS - GUARD_MS)
    redis.call('ZREMRANGEBYSCORE', pending_key, '-inf', now - PENDING_MAX_MS)
    pacer_pruned[window_key] = true
  end
  local wait = 0
  local window_at = now
  if redis.call('ZCARD', live_key) >= cap then
    local first = redis.call('ZRANGE', live_key, 0, 0, 'WITHSCORES')
    wait = math.max(wait, tonumber(first[2]) - now)
  end
  local cap_w = math.ceil(cps - 1e-9)
  -- calls granted but still unsent with their slot past: they go out now at the earliest
  local late = redis.call('ZRANGEBYSCORE', pending_key, '-inf', '(' .. now)
  local count = redis.call('ZCARD', window_key)
  if #late == 0 then
    -- grants made ahead of their slot sit in the window too: room comes when the entry `count - cap` leaves it
    if count >= cap_w then
      local entry = redis.call('ZRANGE', window_key, count - cap_w, count - cap_w, 'WITHSCORES')
      window_at = tonumber(entry[2]) + WINDOW_MS + GUARD_MS
    end
  elseif count + #late >= cap_w then
    local is_late = {}
    for _, id in ipairs(late) do is_late[id] = true end
    local flat = redis.call('ZRANGE', window_key, 0, -1, 'WITHSCORES')
    local times = {}
    for i = 1, #flat, 2 do
      if not is_late[flat[i]] then times[#times + 1] = tonumber(flat[i + 1]) end
    end
    for _ = 1, #late do times[#times + 1] = now end
    table.sort(times)
    if #times >= cap_w then window_at = times[#times - cap_w + 1] + WINDOW_MS + GUARD_MS end
  end
  local tat = pacer_tat(tat_key, name)
  -- on time within the clock's 1 ms resolution (see SCHEDULE_TOLERANCE_MS in pacer.ts)
  if tat and tat - now >= 1 then wait = math.max(wait, tat - now) end
  return wait, window_at
end

local function pacer_commit(window_key, live_key, pending_key, tat_key, name, cps, now, attempt_id, lease_until,
                            window_at, dialing)
  redis.call('ZADD', window_key, window_at, attempt_id)
  redis.call('PEXPIRE', window_key, 60000)
  if dialing then
    redis.call('ZADD', pending_key, window_at, attempt_id)
    redis.call('PEXPIRE', pending_key, 60000)
  end
  redis.call('ZADD', live_key, lease_until, attempt_id)
  local interval = 1000 / cps
  local tat = pacer_tat(tat_key, name)
  local next_tat
  -- Late by less than one interval: keep the cadence so the achieved rate stays exact; idle: restart from now.
  if tat and now - tat < interval then next_tat = tat + interval else next_tat = now + interval end
  local stored = string.format('%.17g', next_tat)
  redis.call('HSET', tat_key, name, stored)
  pacer_tats[name] = tonumber(stored)
end

-- Checks every level given as (name, cps, cap) triples in ARGV from index `at`, with keys (window, live, pending)
-- triples in KEYS from index `key_at`; commits all or none. The level named 'campaign' reads its limits from the
-- campaign hash on every call, so a pace change applies to the next grant. `early` (ms, default 0): a grant may
-- come this much before its rate window has room; it is then counted in the window from that time, and the
-- caller must not send the call before the returned not-before time. `dialing`: the call is to be sent now (it
-- stays pending in the window until its send time is recorded).
local function pacer_acquire(n, at, key_at, tat_key, campaign_key, now, attempt_id, lease_until, early, dialing)
  early = early or 0
  local levels = {}
  local wait = 0
  local not_before = now
  for i = 0, n - 1 do
    local name = ARGV[at + i * 3]
    local cps = tonumber(ARGV[at + i * 3 + 1])
    local cap = tonumber(ARGV[at + i * 3 + 2])
    if name == 'campaign' then
      pacer_campaign = pacer_campaign or redis.call('HMGET', campaign_key, 'cps', 'cap', 'id')
      local lim = pacer_campaign
      cps = tonumber(lim[1])
      cap = tonumber(lim[2])
      name = 'c:' .. lim[3]
    end
    local wk = KEYS[key_at + i * 3]
    local lk = KEYS[key_at + i * 3 + 1]
    local pk = KEYS[key_at + i * 3 + 2]
    local w, window_at = pacer_wait(wk, lk, pk, tat_key, name, cps, cap, now)
    wait = math.max(wait, w)
    not_before = math.max(not_before, window_at)
    levels[#levels + 1] = { wk, lk, pk, name, cps }
  end
  wait = math.ceil(math.max(wait, not_before - now - early))
  if wait > 0 then return wait, nil, now end
  local names = {}
  for _, l in ipairs(levels) do
    pacer_commit(l[1], l[2], l[3], tat_key, l[4], l[5], now, attempt_id, lease_until, not_before, dialing)
    names[#names + 1] = l[4]
  end
  return 0, table.concat(names, ','), not_before
end

local function append_events(events_key, max_len, from, n)
  for i = 0, n - 1 do
    redis.call('XADD', events_key, 'MAXLEN', '~', max_len, '*', 'e', ARGV[from + i])
  end
end
