-- Shared prelude of the bucket scripts: every script walks the same packed arguments.
-- ARGV[1] the bucket keys' names (fixed width, ARGV[2] bytes each), ARGV[3] keys per bucket
-- (4 bytes each, big-endian), ARGV[4] fields (8 bytes per key).
local names, width, counts, fields = ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4]
local sub, byte, call = string.sub, string.byte, redis.call
local buckets = #counts / 4
local function bucket(b)
  local c1, c2, c3, c4 = byte(counts, b * 4 + 1, b * 4 + 4)
  return sub(names, b * width + 1, b * width + width), ((c1 * 256 + c2) * 256 + c3) * 256 + c4
end
local function field(k) return sub(fields, k * 8 + 1, k * 8 + 8) end
