-- Remove one node's whole share of a count (the node crashed, or is stopping): subtract it from the totals.
-- Runs once per node and key: the share hash is deleted, so a second run finds nothing and announces nothing.
--
-- KEYS[1] totals hash   KEYS[2] the node's shares hash   KEYS[3] (presence only) members hash
-- Returns the fields whose total fell to zero, each followed by its member JSON ('' without KEYS[3]).

local totals, mine, members = KEYS[1], KEYS[2], KEYS[3]
local shares = redis.call('HGETALL', mine)
local gone = {}
for i = 1, #shares, 2 do
  local field = shares[i]
  local after = tonumber(redis.call('HGET', totals, field) or '0') - tonumber(shares[i + 1])
  if after <= 0 then
    redis.call('HDEL', totals, field)
    local member = ''
    if members then
      member = redis.call('HGET', members, field) or ''
      redis.call('HDEL', members, field)
    end
    gone[#gone + 1] = field
    gone[#gone + 1] = member
  else
    redis.call('HSET', totals, field, after)
  end
end
redis.call('DEL', mine)
return gone
