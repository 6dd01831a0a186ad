-- Levels of packed keys, one byte each: the level digit, '0' for a miss, 'w' for another owner's live claim.
-- ARGV[5] 'claim' claims each miss for owner ARGV[7] for ARGV[6] ms; anything else only reads.
local claim = ARGV[5] == 'claim'
local now, token, owner
if claim then
  local t = call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  owner = ARGV[7]
  token = 'c' .. (now + tonumber(ARGV[6])) .. ':' .. owner
end
-- A field without a level: claim it for `owner` ('0') unless another owner's claim is still live ('w').
local function settle(key, f, v)
  if v then
    local expiry, holder = string.match(v, '^c(%d+):(.*)$')
    if holder ~= owner and not (expiry and tonumber(expiry) <= now) then return 'w' end
  end
  call('HSET', key, f, token)
  return '0'
end
local out, k = {}, 0
for b = 0, buckets - 1 do
  local key, n = bucket(b)
  if n == 1 then  -- the common case for a file's batch in a large cache: no tables to build
    local f = field(k)
    local v = call('HGET', key, f)
    k = k + 1
    if v and #v == 1 then out[k] = v elseif claim then out[k] = settle(key, f, v) else out[k] = '0' end
  else
    local last = k + n
    while k < last do
      local m = last - k
      if m > 512 then m = 512 end
      local f, base = {}, k * 8
      for j = 1, m do f[j] = sub(fields, base + j * 8 - 7, base + j * 8) end
      local values = call('HMGET', key, unpack(f))
      for j = 1, m do
        local v = values[j]
        if v and #v == 1 then out[k + j] = v elseif claim then out[k + j] = settle(key, f[j], v) else out[k + j] = '0' end
      end
      k = k + m
    end
  end
end
return table.concat(out)
