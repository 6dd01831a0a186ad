-- Close a request: no part commits after this (commit_part.lua checks closed_at in the same key slot).
-- KEYS[1]: the request's state hash, KEYS[2]: its list of parts. ARGV[1]: now, unix seconds.
-- Returns {'unknown'} when no part was ever committed, else {'closed' or 'already', closed_at, records}:
-- the part records in part order, which no commit can change once closed_at is set.
local call = redis.call
if call('EXISTS', KEYS[1]) == 0 then
  return {'unknown'}
end
local outcome = 'already'
local closed_at = call('HGET', KEYS[1], 'closed_at')
if not closed_at then
  closed_at = ARGV[1]
  call('HSET', KEYS[1], 'closed_at', closed_at)
  outcome = 'closed'
end
return {outcome, closed_at, call('LRANGE', KEYS[2], 0, -1)}
