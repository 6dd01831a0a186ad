-- Drop the claims owner ARGV[6] holds on the packed keys; returns how many were dropped.
local owner = ARGV[6]
local released, dropped = 0, 0
local function drop(key, first, n)
  for k = first, first + n - 1 do
    local name = field(k)
    local v = call('HGET', key, name)
    if v and string.match(v, '^c%d+:(.*)$') == owner then
      call('HDEL', key, name)
      dropped = dropped + 1
    end
  end
end
local k = 0
for t = 0, tables - 1 do
  local count = table_size(t)
  local tag, l, s = open_table(t)
  dropped = 0
  each_bucket(tag, l, s, k, count, drop)
  if dropped > 0 then call('HINCRBY', tag, 'n', -dropped) end
  released = released + dropped
  k = k + count
end
return released
