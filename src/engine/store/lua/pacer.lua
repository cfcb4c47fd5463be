-- Pacer library, prepended to the scripts that grant calls (see src/engine/pacer.ts for the rules it mirrors).
-- Per level: a window zset (grant times, the hard cap of ceil(cps) per 1000 ms), a live zset (attempt id scored
-- by lease expiry, the concurrency cap) and a GCRA schedule time in the shared tat hash.
-- Returns the wait (ms) for the concurrency cap and the schedule, and when the rate window next has room.
local function pacer_wait(window_key, live_key, tat_key, name, cps, cap, now)
  redis.call('ZREMRANGEBYSCORE', live_key, '-inf', now)
  redis.call('ZREMRANGEBYSCORE', window_key, '-inf', now - 1000)
  local wait = 0
  local window_at = now
  if redis.call('ZCARD', live_key) >= cap then
    local first = redis.call('ZRANGE', live_key, 0, 0, 'WITHSCORES')
    wait = math.max(wait, tonumber(first[2]) - now)
  end
  -- grants made ahead of their slot sit in the window too: room comes when the entry `count - cap` leaves it
  local count = redis.call('ZCARD', window_key)
  local cap_w = math.ceil(cps - 1e-9)
  if count >= cap_w then
    local entry = redis.call('ZRANGE', window_key, count - cap_w, count - cap_w, 'WITHSCORES')
    window_at = tonumber(entry[2]) + 1000
  end
  local tat = redis.call('HGET', tat_key, name)
  -- on time within the clock's 1 ms resolution (see SCHEDULE_TOLERANCE_MS in pacer.ts)
  if tat and tonumber(tat) - now >= 1 then wait = math.max(wait, tonumber(tat) - now) end
  return wait, window_at
end

local function pacer_commit(window_key, live_key, tat_key, name, cps, now, attempt_id, lease_until, window_at)
  redis.call('ZADD', window_key, window_at, attempt_id)
  redis.call('PEXPIRE', window_key, 60000)
  redis.call('ZADD', live_key, lease_until, attempt_id)
  local interval = 1000 / cps
  local tat = redis.call('HGET', tat_key, name)
  local next_tat
  -- Late by less than one interval: keep the cadence so the achieved rate stays exact; idle: restart from now.
  if tat and now - tonumber(tat) < interval then next_tat = tonumber(tat) + interval else next_tat = now + interval end
  redis.call('HSET', tat_key, name, string.format('%.17g', next_tat))
end

-- Checks every level given as (name, cps, cap) triples in ARGV from index `at`, with keys (window, live) pairs
-- in KEYS from index `key_at`; commits all or none. The level named 'campaign' reads its limits from the
-- campaign hash on every call, so a pace change applies to the next grant. `early` (ms, default 0): a grant may
-- come this much before its rate window has room; it is then counted in the window from that time, and the
-- caller must not send the call before the returned not-before time.
local function pacer_acquire(n, at, key_at, tat_key, campaign_key, now, attempt_id, lease_until, early)
  early = early or 0
  local levels = {}
  local wait = 0
  local not_before = now
  for i = 0, n - 1 do
    local name = ARGV[at + i * 3]
    local cps = tonumber(ARGV[at + i * 3 + 1])
    local cap = tonumber(ARGV[at + i * 3 + 2])
    if name == 'campaign' then
      local lim = redis.call('HMGET', campaign_key, 'cps', 'cap', 'id')
      cps = tonumber(lim[1])
      cap = tonumber(lim[2])
      name = 'c:' .. lim[3]
    end
    local wk = KEYS[key_at + i * 2]
    local lk = KEYS[key_at + i * 2 + 1]
    local w, window_at = pacer_wait(wk, lk, tat_key, name, cps, cap, now)
    wait = math.max(wait, w)
    not_before = math.max(not_before, window_at)
    levels[#levels + 1] = { wk, lk, name, cps }
  end
  wait = math.ceil(math.max(wait, not_before - now - early))
  if wait > 0 then return wait, nil, now end
  local names = {}
  for _, l in ipairs(levels) do
    pacer_commit(l[1], l[2], tat_key, l[3], l[4], now, attempt_id, lease_until, not_before)
    names[#names + 1] = l[3]
  end
  return 0, table.concat(names, ','), not_before
end

local function append_events(events_key, max_len, from, n)
  for i = 0, n - 1 do
    redis.call('XADD', events_key, 'MAXLEN', '~', max_len, '*', 'e', ARGV[from + i])
  end
end
