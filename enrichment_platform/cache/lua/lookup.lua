-- Levels of packed keys, one byte each: the level digit, '0' for a miss, 'w' for another owner's live claim.
-- ARGV[6] 'claim' claims each miss for owner ARGV[8] for ARGV[7] ms; anything else only reads.
local claim = ARGV[6] == 'claim'
local now, token, owner
if claim then
  local t = call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  owner = ARGV[8]
  token = 'c' .. (now + tonumber(ARGV[7])) .. ':' .. owner
end
local out = {}
-- A field without a level: claim it for `owner` ('0') unless another owner's claim is still live ('w').
local function settle(key, f, v)
  if v then
    local expiry, holder = string.match(v, '^c(%d+):(.*)$')
    if holder ~= owner and not (expiry and tonumber(expiry) <= now) then return 'w' end
  end
  added = added + call('HSET', key, f, token)
  return '0'
end
local function read(key, first, n, p)
  local before = added
  if n == 1 then  -- the common case for a file's batch in a large cache: no tables to build
    local f = field(first)
    local v = call('HGET', key, f)
    if v and #v == 1 then out[first + 1] = v elseif claim then out[first + 1] = settle(key, f, v) else out[first + 1] = '0' end
    if added > before then check_full(key, p) end
    return
  end
  local k, last = first, first + n
  while k < last do
    local m = last - k
    if m > 512 then m = 512 end
    local f = {}
    for j = 1, m do f[j] = field(k + j - 1) end
    local values = call('HMGET', key, unpack(f))
    for j = 1, m do
      local v = values[j]
      if v and #v == 1 then out[k + j] = v elseif claim then out[k + j] = settle(key, f[j], v) else out[k + j] = '0' end
    end
    k = k + m
  end
  if added > before then check_full(key, p) end
end
each_table(read)
return table.concat(out)
