-- Drop the claims owner ARGV[6] holds on the packed keys; returns how many were dropped.
local owner = ARGV[6]
local released = 0
local function drop(key, first, n)
  for k = first, first + n - 1 do
    local name = field(k)
    local v = call('HGET', key, name)
    if v and string.match(v, '^c%d+:(.*)$') == owner then
      call('HDEL', key, name)
      added = added - 1
      released = released + 1
    end
  end
end
each_table(drop)
return released
