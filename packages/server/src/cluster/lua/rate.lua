-- A token bucket shared by every node: `rate` tokens per second, at most `rate` stored, refilled continuously.
--
-- KEYS[1] bucket hash (t = tokens, at = ms of last update)   ARGV[1] tokens per second
-- Returns 0 when a token was taken, else the whole seconds until one is available.

local bucket, rate = KEYS[1], tonumber(ARGV[1])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local tokens = tonumber(redis.call('HGET', bucket, 't') or ARGV[1])
local at = tonumber(redis.call('HGET', bucket, 'at') or now)
tokens = math.min(rate, tokens + (now - at) / 1000 * rate)
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = math.max(1, math.ceil((1 - tokens) / rate))
end
redis.call('HSET', bucket, 't', tostring(tokens), 'at', now)
-- An idle bucket refills within a second; after two it is simply forgotten (a missing bucket is full).
redis.call('PEXPIRE', bucket, 2000)
return wait
