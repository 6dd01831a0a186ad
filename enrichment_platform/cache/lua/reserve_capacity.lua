-- Book ARGV[3] units on the schedule kept at KEYS[1] (rate ARGV[1] per second, bursts of ARGV[2]);
-- returns the seconds the caller waits before sending them. The virtual-scheduling rule of
-- model_client.pacing.RateLimiter, on Redis' clock so that every process books on one schedule.
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local rate, burst, units = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local start = tonumber(redis.call('GET', KEYS[1]) or '0')
if start < now then start = now end
local arrival = start + units / rate
redis.call('SET', KEYS[1], string.format('%.6f', arrival), 'PX', math.ceil((arrival - now) * 1000) + 60000)
local wait = arrival - burst / rate - now
if wait < 0 then wait = 0 end
return string.format('%.6f', wait)
