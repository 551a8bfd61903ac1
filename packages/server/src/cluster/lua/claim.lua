-- Claim the cleanup of a dead node, so exactly one live node does it. The dead node leaves the registry and is
-- held in `reaping` under a lease; if the claimant dies too, the lease runs out and another node claims it.
--
-- KEYS[1] registry   KEYS[2] reaping   ARGV[1] dead node id   ARGV[2] lease ms
-- Returns 1 when this caller now owns the cleanup, else 0.

local registry, reaping, node = KEYS[1], KEYS[2], ARGV[1]
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local score = redis.call('ZSCORE', registry, node)
if score then
  if tonumber(score) >= now then return 0 end
  redis.call('ZREM', registry, node)
else
  local lease = redis.call('ZSCORE', reaping, node)
  if not lease or tonumber(lease) >= now then return 0 end
end
redis.call('ZADD', reaping, now + tonumber(ARGV[2]), node)
return 1
