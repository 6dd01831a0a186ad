-- Drop the claims owner ARGV[5] holds on the packed keys; returns how many were dropped.
local owner = ARGV[5]
local released, k = 0, 0
for b = 0, buckets - 1 do
  local key, n = bucket(b)
  local last = k + n
  while k < last do
    local name = field(k)
    local v = call('HGET', key, name)
    if v and string.match(v, '^c%d+:(.*)$') == owner then
      call('HDEL', key, name)
      released = released + 1
    end
    k = k + 1
  end
end
return released
