--[[
  Counts a batch of events of ONE entity (e.g. card 1234) into event-time buckets, exactly once per event id,
  and returns each event's velocity features, in the order given.

  Input:
    KEYS[1] counters hash  <prefix>{<entity>}:c   fields 'wm' (watermark: highest effective event time counted),
                                                  '<bucketMs>:<index>:c' (count), '<bucketMs>:<index>:s' (amount sum)
    KEYS[2] ids zset       <prefix>{<entity>}:i   member event id, score its effective event time
    KEYS[3] replies hash   <prefix>{<entity>}:r   field event id, value '<effective time>,<features returned when it was
                                                  first counted>'; an id older than wm - lateness - retention is forgotten
    Distinct-value sets are KEYS[1]..':d:<slot>:<bucketMs>:<index>' (same hash tag, hence same slot as KEYS[1]).

    ARGV[1] lateness ms: events older than wm - lateness are counted at wm - lateness ("clamped")
    ARGV[2] retention ms (longest window): events older than wm - lateness - retention are "stale": not counted,
            because their ids may have been forgotten already (a redelivery of one would otherwise count twice)
    ARGV[3] idle TTL ms (wall clock) set on every key written
    ARGV[4] W, number of windows, then W pairs: bucketMs, buckets
    then    O, number of outputs, then O triples: kind ('c' count | 's' amount sum | 'd' distinct), window (1-based),
            distinct slot (1-based, 0 unless kind 'd')
    then    D, number of distinct slots
    then    E, number of events, then E records of 3 + D fields: id, ts (epoch ms), amount, D distinct values ('' = absent)

  Output: one string per event, 'status,lateMs,v1,...,vO' where status is
    n counted in order | w counted late, within lateness | l counted, clamped to wm - lateness | s stale, not counted |
    d duplicate id: v1..vO are those returned when it was first counted.
    lateMs = wm - ts when ts < wm, else 0. A value covers buckets (index(t) - buckets, index(t)] of the event's
    effective time t, counting every counted event processed up to and including this one.

  Keeps memory bounded: buckets older than any read can reach are deleted as wm advances, ids older than the
  retention are trimmed, and every key gets the idle TTL.
]]
local rcall = redis.call
local floor = math.floor
local counters, ids, replies = KEYS[1], KEYS[2], KEYS[3]

local lateness = tonumber(ARGV[1])
local retention = tonumber(ARGV[2])
local ttl = ARGV[3]
local p = 4
local nw = tonumber(ARGV[p]); p = p + 1
local wbs, wn = {}, {}
for w = 1, nw do
  wbs[w] = tonumber(ARGV[p]); wn[w] = tonumber(ARGV[p + 1]); p = p + 2
end
local no = tonumber(ARGV[p]); p = p + 1
local okind, owin, oslot = {}, {}, {}
for o = 1, no do
  okind[o] = ARGV[p]; owin[o] = tonumber(ARGV[p + 1]); oslot[o] = tonumber(ARGV[p + 2]); p = p + 3
end
local nd = tonumber(ARGV[p]); p = p + 1
local ne = tonumber(ARGV[p]); p = p + 1

-- Bucket sizes written: counters for every window read by a 'c'/'s' output, sets per (slot, size) read by a 'd' output.
-- keep[bs] = most buckets any read of that size reaches back.
local cbs, keep, dpair, seenc, seend = {}, {}, {}, {}, {}
for o = 1, no do
  local bs, n = wbs[owin[o]], wn[owin[o]]
  if keep[bs] == nil or keep[bs] < n then keep[bs] = n end
  if okind[o] == 'd' then
    local k = oslot[o] .. ':' .. bs
    if not seend[k] then seend[k] = true; dpair[#dpair + 1] = { oslot[o], bs } end
  elseif not seenc[bs] then
    seenc[bs] = true; cbs[#cbs + 1] = bs
  end
end
local function lowest(bs, mark) return floor((mark - lateness) / bs) - keep[bs] + 1 end

local function delete_fields(fields)
  local i = 1
  while i <= #fields do
    rcall('HDEL', counters, unpack(fields, i, math.min(i + 999, #fields)))
    i = i + 1000
  end
end

-- Deletes what no read can reach once the watermark moves from old to new.
local function trim(old, new)
  local fields = {}
  for _, bs in ipairs(cbs) do
    for idx = lowest(bs, old), math.min(lowest(bs, new) - 1, floor(old / bs)) do
      fields[#fields + 1] = bs .. ':' .. idx .. ':c'
      fields[#fields + 1] = bs .. ':' .. idx .. ':s'
    end
  end
  if #fields > 0 then delete_fields(fields) end
  for _, pair in ipairs(dpair) do
    local bs = pair[2]
    for idx = lowest(bs, old), math.min(lowest(bs, new) - 1, floor(old / bs)) do
      rcall('DEL', counters .. ':d:' .. pair[1] .. ':' .. bs .. ':' .. idx)
    end
  end
end

-- Count and sum over a window ending at time t (cached per event and window).
local function count_sum(w, t)
  local bs, n = wbs[w], wn[w]
  local hi = floor(t / bs)
  local fields = {}
  for idx = hi - n + 1, hi do
    fields[#fields + 1] = bs .. ':' .. idx .. ':c'
    fields[#fields + 1] = bs .. ':' .. idx .. ':s'
  end
  local values = rcall('HMGET', counters, unpack(fields))
  local c, s = 0, 0
  for i = 1, #values, 2 do
    if values[i] then c = c + tonumber(values[i]); s = s + tonumber(values[i + 1]) end
  end
  return c, s
end

local function distinct(slot, w, t)
  local bs, n = wbs[w], wn[w]
  local hi = floor(t / bs)
  local keys = {}
  for idx = hi - n + 1, hi do keys[#keys + 1] = counters .. ':d:' .. slot .. ':' .. bs .. ':' .. idx end
  return #rcall('SUNION', unpack(keys))
end

local wm = tonumber(rcall('HGET', counters, 'wm'))
local wm0 = wm
local out = {}
for e = 1, ne do
  local id, ts, amount = ARGV[p], tonumber(ARGV[p + 1]), ARGV[p + 2]
  local dv = p + 3
  p = p + 3 + nd
  local first = rcall('HGET', replies, id)
  if first then
    -- '<effective time>,<values>'; an id older than the retention counts as forgotten, even before it is trimmed
    local comma = string.find(first, ',', 1, true)
    if wm and tonumber(string.sub(first, 1, comma - 1)) < wm - lateness - retention then
      first = nil
    else
      out[e] = 'd,0,' .. string.sub(first, comma + 1)
    end
  end
  if not first then
    local status, t, late = 'n', ts, 0
    if wm and ts < wm then
      late = wm - ts
      status = 'w'
      if ts < wm - lateness then
        t = wm - lateness
        status = (ts < t - retention) and 's' or 'l'
      end
    end
    if status ~= 's' then
      if wm == nil or t > wm then
        if wm then trim(wm, t) end
        wm = t
      end
      for _, bs in ipairs(cbs) do
        local idx = floor(t / bs)
        rcall('HINCRBY', counters, bs .. ':' .. idx .. ':c', 1)
        rcall('HINCRBY', counters, bs .. ':' .. idx .. ':s', amount)
      end
      for _, pair in ipairs(dpair) do
        local v = ARGV[dv + pair[1] - 1]
        if v ~= '' then
          local key = counters .. ':d:' .. pair[1] .. ':' .. pair[2] .. ':' .. floor(t / pair[2])
          if rcall('SADD', key, v) == 1 then rcall('PEXPIRE', key, ttl) end
        end
      end
    end
    local values, cs = {}, {}
    for o = 1, no do
      local w, kind = owin[o], okind[o]
      if kind == 'd' then
        values[o] = distinct(oslot[o], w, t)
      else
        local cached = cs[w]
        if cached == nil then
          local c, s = count_sum(w, t)
          cached = { c, s }
          cs[w] = cached
        end
        values[o] = string.format('%d', kind == 'c' and cached[1] or cached[2])
      end
    end
    local reply = table.concat(values, ',')
    if status ~= 's' then
      rcall('HSET', replies, id, string.format('%d', t) .. ',' .. reply)
      rcall('ZADD', ids, t, id)
    end
    out[e] = status .. ',' .. string.format('%d', late) .. ',' .. reply
  end
end

if wm and wm ~= wm0 then
  rcall('HSET', counters, 'wm', string.format('%d', wm))
  local cut = '(' .. string.format('%d', wm - lateness - retention)
  local old = rcall('ZRANGEBYSCORE', ids, '-inf', cut)
  if #old > 0 then
    local i = 1
    while i <= #old do
      rcall('HDEL', replies, unpack(old, i, math.min(i + 999, #old)))
      i = i + 1000
    end
    rcall('ZREMRANGEBYSCORE', ids, '-inf', cut)
  end
end
if wm then
  rcall('PEXPIRE', counters, ttl)
  rcall('PEXPIRE', ids, ttl)
  rcall('PEXPIRE', replies, ttl)
end
return out
