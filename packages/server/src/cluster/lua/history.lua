-- Read a channel's history after a position (or its newest events), creating the stream if it does not exist so
-- the reader always gets a position to stand on. Expired entries are dropped first.
--
-- KEYS[1] stream meta   KEYS[2] history
-- ARGV[1] epoch to use if the stream does not exist   ARGV[2] history max age, ms
-- ARGV[3] idle ms after which the stream is forgotten
-- ARGV[4] epoch of `since`, or '' for "the newest events"   ARGV[5] serial of `since`
-- ARGV[6] most entries to return (-1 = all)
-- Returns {epoch, serial, outcome, entries...}; outcome is 'ok', 'epoch_changed', 'invalid_position' or 'too_old'.

local meta, history = KEYS[1], KEYS[2]
local epoch = redis.call('HGET', meta, 'e')
local serial = 0
if not epoch then
  epoch = ARGV[1]
  redis.call('HSET', meta, 'e', epoch, 'n', 0)
  redis.call('DEL', history)
else
  serial = tonumber(redis.call('HGET', meta, 'n') or '0')
end
-- A stream someone reads is alive: keep its epoch as long as a publish would.
redis.call('PEXPIRE', meta, ARGV[3])

local time = redis.call('TIME')
local cutoff = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000) - tonumber(ARGV[2])
while true do
  local oldest = redis.call('LINDEX', history, 0)
  if not oldest then break end
  local at = tonumber(string.match(oldest, '^%d+ (%d+) '))
  if at >= cutoff then break end
  redis.call('LPOP', history)
end

local limit = tonumber(ARGV[6])
local result = {epoch, serial, 'ok'}
local first, last
if ARGV[4] == '' then
  if limit == 0 then return result end
  first = limit < 0 and 0 or -limit
  last = -1
else
  if ARGV[4] ~= epoch then result[3] = 'epoch_changed'; return result end
  local since = tonumber(ARGV[5])
  if since > serial then result[3] = 'invalid_position'; return result end
  if since == serial then return result end
  local oldest = redis.call('LINDEX', history, 0)
  local oldestSerial = oldest and tonumber(string.match(oldest, '^(%d+) ')) or nil
  if not oldestSerial or oldestSerial > since + 1 then result[3] = 'too_old'; return result end
  -- Entries are consecutive, so the one after `since` sits at a computed index.
  first = since + 1 - oldestSerial
  last = limit < 0 and -1 or first + limit - 1
end
local entries = redis.call('LRANGE', history, first, last)
for i = 1, #entries do result[#result + 1] = entries[i] end
return result
