-- Creates (expect version 0) or updates a campaign record under optimistic versioning.
-- Safe to run twice: the save records its request id, so an earlier run of this same request answers 1 again.
-- KEYS: 1 campaign, 2 campaign index, 3 events
-- ARGV: 1 expectVersion ('0' = create), 2 record json, 3 status, 4 cps, 5 cap, 6 campaignId, 7 newVersion,
--       8 updatedAt, 9 maxEvents, 10 channel, 11 nEvents, 12 request id, 13.. events
-- Returns: 1 when saved, 0 when the stored version is not the expected one.
-- Invariant: no lost update: each save names the version it read.
local cur = redis.call('HMGET', KEYS[1], 'v', 'rq')
local v = cur[1]
if v == ARGV[7] and cur[2] == ARGV[12] then return 1 end
if ARGV[1] == '0' then
  if v then return 0 end
elseif v ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'rec', ARGV[2], 'status', ARGV[3], 'cps', ARGV[4], 'cap', ARGV[5], 'id', ARGV[6],
  'v', ARGV[7], 'upd', ARGV[8], 'rq', ARGV[12])
redis.call('SADD', KEYS[2], ARGV[6])
append_events(KEYS[3], ARGV[9], 13, tonumber(ARGV[11]))
redis.call('PUBLISH', ARGV[10], 'campaign')
return 1
