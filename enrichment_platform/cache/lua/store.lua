-- Store each packed key's level: ARGV[6] holds one level digit per key, in the keys' order.
local levels = ARGV[6]
local added = 0
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
local k = 0
for t = 0, tables - 1 do
  local count = table_size(t)
  local tag, l, s, n = open_table(t)
  added = 0
  each_bucket(tag, l, s, k, count, write)
  if added > 0 then grow(tag, l, s, n + added) end
  k = k + count
end
return k
