-- One node's share of a cluster-wide count (subscriptions of a channel, a presence user's sockets, a signed-in
-- user's sockets, an app's connections). The totals hash holds the sum of every node's share per field; each
-- node's own hash holds its share, so a dead node's shares can be subtracted exactly (drop.lua).
--
-- KEYS[1] totals hash   KEYS[2] this node's shares hash   KEYS[3] (presence only) members hash
-- ARGV[1] 'd' to add ARGV[3] to this node's share, 's' to set it to ARGV[3] (resynchronising after an outage)
-- ARGV[2] field   ARGV[3] number   ARGV[4] limit for the total (0 = none; only an increase can be refused)
-- ARGV[5] (presence) member JSON to store while the user is present   ARGV[6] '1' to return every member
-- Returns {total before, total after, members...}; after is -1 when the limit refused the change.

local totals, mine, field = KEYS[1], KEYS[2], ARGV[2]
local share = tonumber(redis.call('HGET', mine, field) or '0')
local before = tonumber(redis.call('HGET', totals, field) or '0')
local target = tonumber(ARGV[3])
if ARGV[1] == 'd' then target = share + target end
if target < 0 then target = 0 end
local after = before + target - share
if after < 0 then after = 0 end

local limit = tonumber(ARGV[4] or '0')
if limit > 0 and target > share and after > limit then return {before, -1} end

if target == 0 then redis.call('HDEL', mine, field) else redis.call('HSET', mine, field, target) end
if after == 0 then redis.call('HDEL', totals, field) else redis.call('HSET', totals, field, after) end

local result = {before, after}
local members = KEYS[3]
if members then
  if after == 0 then
    redis.call('HDEL', members, field)
  elseif ARGV[5] and ARGV[5] ~= '' then
    redis.call('HSET', members, field, ARGV[5])
  end
  if ARGV[6] == '1' then
    local all = redis.call('HVALS', members)
    for i = 1, #all do result[#result + 1] = all[i] end
  end
end
return result
