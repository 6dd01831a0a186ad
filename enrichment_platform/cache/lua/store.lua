-- Store each packed key's level: ARGV[6] holds one level digit per key, in the keys' order.
local levels = ARGV[6]
local function write(key, first, n, p)
  local k, last, before = first, first + n, added
  while k < last do
    local m = last - k
    if m > 256 then m = 256 end
    local pairs = {}
    for j = 1, m do
      pairs[2 * j - 1] = field(k + j - 1)
      pairs[2 * j] = sub(levels, k + j, k + j)
    end
    added = added + call('HSET', key, unpack(pairs))
    k = k + m
  end
  if added > before then check_full(key, p) end
end
each_table(write)
return #fields / 8
