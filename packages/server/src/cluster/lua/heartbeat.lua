-- A node says it is alive, and learns which nodes are not. Scores are Redis time (ms) when the entry expires,
-- so nodes' clocks do not matter.
--
-- KEYS[1] registry (zset node -> expiry)   KEYS[2] reaping (zset node -> lease expiry)
-- ARGV[1] node id   ARGV[2] TTL ms   ARGV[3] '1' on the node's first heartbeat
-- Returns {status, dead nodes...}; status is 'ok', or 'lost' when this node's entry expired or vanished since
-- its last heartbeat (it was, or is about to be, reaped; or Redis lost its data): the node must then rejoin
-- under a new id instead of reviving the old one.

local registry, reaping, node = KEYS[1], KEYS[2], ARGV[1]
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local score = redis.call('ZSCORE', registry, node)
if ARGV[3] ~= '1' and (not score or tonumber(score) < now) then
  return {'lost'}
end
redis.call('ZADD', registry, now + tonumber(ARGV[2]), node)
local result = {'ok'}
local expired = redis.call('ZRANGEBYSCORE', registry, '-inf', '(' .. now, 'LIMIT', 0, 16)
for i = 1, #expired do result[#result + 1] = expired[i] end
local stalled = redis.call('ZRANGEBYSCORE', reaping, '-inf', '(' .. now, 'LIMIT', 0, 16)
for i = 1, #stalled do result[#result + 1] = stalled[i] end
return result
