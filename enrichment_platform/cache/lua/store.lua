-- Store each packed key's level: ARGV[5] holds one level digit per key, in the keys' order.
local levels = ARGV[5]
local k = 0
for b = 0, buckets - 1 do
  local key, n = bucket(b)
  local last = k + n
  while k < last do
    local m = last - k
    if m > 256 then m = 256 end
    local pairs = {}
    for j = 1, m do
      pairs[2 * j - 1] = field(k + j - 1)
      pairs[2 * j] = sub(levels, k + j, k + j)
    end
    call('HSET', key, unpack(pairs))
    k = k + m
  end
end
return k
