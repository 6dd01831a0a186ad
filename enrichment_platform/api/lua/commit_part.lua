-- Commit one uploaded part of a request, atomically with close (close_request.lua sets closed_at).
-- KEYS[1]: the request's state hash, KEYS[2]: its list of parts, KEYS[3]: idempotency key -> part number.
-- ARGV[1]: the part's record (JSON without its number), ARGV[2]: its lines, ARGV[3]: its bytes,
-- ARGV[4]: the Idempotency-Key ('' for none).
-- Returns {'stored', part}, {'duplicate', part, record} (the key was seen: nothing new) or {'closed'}.
local call = redis.call
if ARGV[4] ~= '' then
  local part = call('HGET', KEYS[3], ARGV[4])
  if part then
    return {'duplicate', tonumber(part), call('LINDEX', KEYS[2], tonumber(part) - 1)}
  end
end
if call('HEXISTS', KEYS[1], 'closed_at') == 1 then
  return {'closed'}
end
local part = call('HINCRBY', KEYS[1], 'parts', 1)
call('HINCRBY', KEYS[1], 'lines', ARGV[2])
call('HINCRBY', KEYS[1], 'bytes', ARGV[3])
call('RPUSH', KEYS[2], ARGV[1])
if ARGV[4] ~= '' then
  call('HSET', KEYS[3], ARGV[4], part)
end
return {'stored', part}
