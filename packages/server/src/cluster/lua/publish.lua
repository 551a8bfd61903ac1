-- Publish one event with a position: serial assignment, history append, cache entry and fan-out in one atomic
-- step, so every node sees the channel's events in serial order and history never disagrees with live delivery.
--
-- KEYS[1] stream meta (hash: e = epoch, n = last serial)   KEYS[2] history (list of entries)
-- KEYS[3] cache entry (string)                             KEYS[4] the channel's shard channel (SPUBLISH)
-- ARGV[1] epoch to use if the stream does not exist        ARGV[2] envelope up to the position value
-- ARGV[3] envelope after the position value                ARGV[4] history max events (0 = keep none)
-- ARGV[5] history max age, ms                              ARGV[6] idle ms after which the stream is forgotten
-- ARGV[7] cache TTL ms (0 = not a cache channel)           ARGV[8] socket id to exclude, or '-'
-- ARGV[9] event name
-- Returns the position `epoch:serial`.
--
-- A history entry is `serial time exclude json`; the fan-out message is `exclude \n event \n position \n json`.

local meta, history = KEYS[1], KEYS[2]
local epoch = redis.call('HGET', meta, 'e')
if not epoch then
  -- A new (or forgotten) stream: a fresh epoch, and no leftover entries from an older one.
  epoch = ARGV[1]
  redis.call('HSET', meta, 'e', epoch)
  redis.call('DEL', history)
end
local serial = redis.call('HINCRBY', meta, 'n', 1)
redis.call('PEXPIRE', meta, ARGV[6])

local position = epoch .. ':' .. serial
local json = ARGV[2] .. position .. ARGV[3]
local exclude = ARGV[8]

local maxEvents = tonumber(ARGV[4])
if maxEvents > 0 then
  local time = redis.call('TIME')
  local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
  redis.call('RPUSH', history, serial .. ' ' .. now .. ' ' .. exclude .. ' ' .. json)
  redis.call('LTRIM', history, -maxEvents, -1)
  local cutoff = now - tonumber(ARGV[5])
  while true do
    local oldest = redis.call('LINDEX', history, 0)
    if not oldest then break end
    local at = tonumber(string.match(oldest, '^%d+ (%d+) '))
    if at >= cutoff then break end
    redis.call('LPOP', history)
  end
  redis.call('PEXPIRE', history, ARGV[5])
else
  -- Keeping no history must leave the list empty, so entries stay consecutive when history is switched back on.
  redis.call('DEL', history)
end

local cacheTtl = tonumber(ARGV[7])
if cacheTtl > 0 then
  redis.call('SET', KEYS[3], json, 'PX', cacheTtl)
end

redis.call('SPUBLISH', KEYS[4], exclude .. '\n' .. ARGV[9] .. '\n' .. position .. '\n' .. json)
return position
