-- Shared prelude of the bucket scripts: every script walks the same packed arguments.
-- ARGV[1] the namespace's key prefix, ARGV[2] the tables' tags (1 byte each), ARGV[3] keys per table
-- (4 bytes each, big-endian), ARGV[4] fields (8 bytes per key, sorted within each table), ARGV[5] fields
-- per bucket above which a table splits its next bucket (linear hashing; see cache/keys.py).
local prefix, tags, counts, fields = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local per_bucket = tonumber(ARGV[5])
-- The most fields a bucket keeps: past it, the table splits buckets out of turn up to that one. Under Redis'
-- default hash-max-listpack-entries (128), so buckets stay compact listpacks.
local full = 120
local sub, byte, char, floor, call = string.sub, string.byte, string.char, math.floor, redis.call
local tables = #tags
local function field(k) return sub(fields, k * 8 + 1, k * 8 + 8) end
local function table_size(t)
  local c1, c2, c3, c4 = byte(counts, t * 4 + 1, t * 4 + 4)
  return ((c1 * 256 + c2) * 256 + c3) * 256 + c4
end
-- (Integer division as (x - x % d) / d: arithmetic, cheaper in Lua than calling math.floor.)
local function bucket_name(tag, id)
  local b4 = id % 256
  local x = (id - b4) / 256
  local b3 = x % 256
  x = (x - b3) / 256
  local b2 = x % 256
  return tag .. char((x - b2) / 256, b2, b3, b4)
end
-- Table t: its state key (also its buckets' prefix), level, split pointer and fields held.
local HEX = {}
for i = 0, 255 do HEX[i] = string.format('{%02x}', i) end
local function open_table(t)
  local tag = prefix .. HEX[byte(tags, t + 1)]
  local state = call('HMGET', tag, 'l', 's', 'n')
  return tag, tonumber(state[1]) or 0, tonumber(state[2]) or 0, tonumber(state[3]) or 0
end
-- visit(bucket name, first key, keys, p) for each bucket of the table's keys first..first+count-1, which are
-- sorted, so a bucket's keys are adjacent: the bucket of prefix p of the top l bits has the id 2^l + p, or
-- its child of l + 1 bits once p is split (p < s; visit gets p = -1 then).
local function each_bucket(tag, l, s, first, count, visit)
  local unsplit, split = 2 ^ (32 - l), 2 ^ (31 - l)
  local base, children = 2 ^ l, 2 ^ (l + 1)
  local run_id, run_first = -1, first
  for k = first, first + count - 1 do
    local c1, c2, c3, c4 = byte(fields, k * 8 + 1, k * 8 + 4)
    local v = ((c1 * 256 + c2) * 256 + c3) * 256 + c4
    local p = (v - v % unsplit) / unsplit
    local id
    if p < s then id = children + (v - v % split) / split else id = base + p end
    if id ~= run_id then
      if run_id >= 0 then visit(bucket_name(tag, run_id), run_first, k - run_first, run_id < children and run_id - base or -1) end
      run_id, run_first = id, k
    end
  end
  if run_id >= 0 then visit(bucket_name(tag, run_id), run_first, first + count - run_first, run_id < children and run_id - base or -1) end
end
-- The highest unsplit bucket of level l that has grown past `full` fields (-1 if none): grow splits up to it.
local overfull = -1
local function check_full(key, p)
  if p > overfull and call('HLEN', key) > full then overfull = p end
end
local function hset_all(key, entries)
  for i = 1, #entries, 512 do
    call('HSET', key, unpack(entries, i, math.min(i + 511, #entries)))
  end
end
-- Record that the table now holds n fields, splitting buckets in order while it holds more than
-- per_bucket per bucket, or until the overfull bucket is split. A split bucket is rewritten as two new
-- hashes, which are compact listpacks.
local function grow(tag, l, s, n)
  local level = l
  while n > per_bucket * (2 ^ l + s) or (l == level and s <= overfull) do
    local old = bucket_name(tag, 2 ^ l + s)
    local entries = call('HGETALL', old)
    call('DEL', old)
    local bit = 2 ^ (31 - l)
    local low, high = {}, {}
    for i = 1, #entries, 2 do
      local c1, c2, c3, c4 = byte(entries[i], 1, 4)
      local half = (floor((((c1 * 256 + c2) * 256 + c3) * 256 + c4) / bit) % 2 == 0) and low or high
      half[#half + 1] = entries[i]
      half[#half + 1] = entries[i + 1]
    end
    hset_all(bucket_name(tag, 2 ^ (l + 1) + 2 * s), low)
    hset_all(bucket_name(tag, 2 ^ (l + 1) + 2 * s + 1), high)
    s = s + 1
    if s == 2 ^ l then l, s = l + 1, 0 end
  end
  call('HSET', tag, 'l', l, 's', s, 'n', n)
  overfull = -1
end
-- Fields the table being walked gained in this call (new levels, new claims; less those dropped).
local added = 0
-- visit(bucket name, first key, keys, p) on the buckets of every table's keys; a table whose fields changed
-- records its new count, and splits what that calls for, after its walk.
local function each_table(visit)
  local k = 0
  for t = 0, tables - 1 do
    local count = table_size(t)
    local tag, l, s, n = open_table(t)
    added = 0
    each_bucket(tag, l, s, k, count, visit)
    if added ~= 0 then grow(tag, l, s, n + added) end
    k = k + count
  end
end
