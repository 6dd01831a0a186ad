-- Queue a closed request for processing: the sensor reads the queue in order of these numbers.
-- KEYS[1]: the sorted set of closed requests (member erid, score its number), KEYS[2]: the last number given.
-- ARGV[1]: the erid. Returns the request's number; a request already queued keeps its own.
local call = redis.call
local number = call('ZSCORE', KEYS[1], ARGV[1])
if number then
  return tonumber(number)
end
number = call('INCR', KEYS[2])
call('ZADD', KEYS[1], number, ARGV[1])
return number
