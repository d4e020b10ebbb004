--[[
  Counts a batch of events of G entities of one kind (e.g. cards) into event-time buckets, exactly once per event id
  and entity, and returns each event's velocity features, in the order given. On a Redis Cluster G is 1 (the keys of
  one entity share a hash tag, hence a slot); on a single Redis one call takes every entity of that kind in a batch.

  Input, for each entity g = 1..G (KEYS[3g-2], KEYS[3g-1], KEYS[3g]; shown for g = 1):
    KEYS[1] counters hash  <prefix>{<entity>}:c   'wm' watermark (highest effective event time counted),
                                                  '<bs>:<idx>:c' / '<bs>:<idx>:s' count / amount sum of bucket idx,
                                                  'r:<bs>:<n>' running window, msgpack [head, count, sum] over buckets
                                                  (head - n, head], head = the newest bucket,
                                                  'nt' watermark at which the next bucket can be deleted,
                                                  'io' oldest id's effective time, 'ex' wm at the last TTL refresh,
                                                  'k:d:<slot>:<bs>:<idx>' marks an existing distinct bucket hash
    KEYS[2] ids zset       <prefix>{<entity>}:i   member event id, score its effective event time
    KEYS[3] replies hash   <prefix>{<entity>}:r   field event id, value msgpack [effective time, reply when it was first
                                                  counted]; an id older than wm - lateness - retention is forgotten
    Same hash tag, so same cluster slot, not passed in KEYS (like BullMQ's prefix keys):
      KEYS[1]..':d:<slot>:<bs>:<idx>'  hash distinct value -> occurrences in bucket idx
      KEYS[1]..':w:<slot>:<bs>:<n>'    zset distinct value -> newest bucket it occurs in, values of the running
                                       window only

    ARGV[1] lateness ms: an event older than wm - lateness is counted at wm - lateness ("clamped")
    ARGV[2] retention ms (>= longest window): an event older than wm - lateness - retention is "stale": not counted,
            because its id may have been forgotten already (a redelivery would otherwise count twice)
    ARGV[3] idle TTL ms (wall clock) set on every key written
    ARGV[4] W, number of windows, then W pairs: bucketMs, buckets
    then    O, number of outputs, then O triples: kind ('c' count | 's' amount sum | 'd' distinct), window (1-based),
            distinct slot (1-based, 0 unless kind 'd')
    then    D, number of distinct slots
    then    G, number of entities, then for each entity in KEYS order: E, number of its events, then E records of
            3 + D fields: id, ts (epoch ms), amount, D distinct values ('' = absent)

  Output: one array of integers per event, entities in KEYS order: { status, lateMs, v1, ..., vO } where status is
    0 counted in order | 1 counted late, within lateness | 2 counted, clamped to wm - lateness | 3 stale, not counted |
    4 duplicate id: v1..vO are those returned when it was first counted.
    lateMs = wm - ts when ts < wm, else 0. A value covers buckets (idx(t) - n, idx(t)] of the event's effective time t,
    counting every counted event processed up to and including this one.

  Cost: an event in the newest bucket reads the running windows (O(1)); an older one sums its window's buckets.
  Memory stays bounded: buckets no read can reach are deleted as wm advances, ids older than the retention are
  trimmed, and every key gets the idle TTL when created, refreshed whenever wm has moved on by TTL / 4.
]]
local rcall = redis.call
local floor = math.floor
local IN_ORDER, LATE, CLAMPED, STALE, DUPLICATE = 0, 1, 2, 3, 4
-- The entity being processed, and its state (reset for each entity).
local counters, ids, replies
local head_values, wm, wm0, next_trim, trim_dirty, state, oldest_id, refreshed, meta_dirty

local lateness = tonumber(ARGV[1])
local retention = tonumber(ARGV[2])
local ttl = ARGV[3]
local ttl_ms = tonumber(ttl)
local p = 4
local nw = tonumber(ARGV[p]); p = p + 1
-- Lua's number-to-string conversion is slow in Redis (about a microsecond each): names are built from the ARGV
-- strings once per call, bucket indexes are converted once per event, and replies are numbers or msgpack.
local wbs, wn, wname = {}, {}, {}
local bstr = {}
for w = 1, nw do
  wbs[w] = tonumber(ARGV[p]); wn[w] = tonumber(ARGV[p + 1])
  bstr[wbs[w]] = ARGV[p]
  wname[w] = ARGV[p] .. ':' .. ARGV[p + 1]
  p = p + 2
end
local no = tonumber(ARGV[p]); p = p + 1
local okind, owin, oslot, slotstr = {}, {}, {}, {}
for o = 1, no do
  okind[o] = ARGV[p]; owin[o] = tonumber(ARGV[p + 1]); oslot[o] = tonumber(ARGV[p + 2]); p = p + 3
  slotstr[oslot[o]] = ARGV[p - 1]
end
local nd = tonumber(ARGV[p]); p = p + 1
local ng = tonumber(ARGV[p]); p = p + 1

-- wcs[w]: window w has count/sum outputs; wslots[w]: its distinct slots. cbs: bucket sizes with counters;
-- dpairs: (slot, bs) with bucket hashes; keep[bs]: most buckets any window of that size reaches back.
local wcs, wslots, cbs, dpairs, keep = {}, {}, {}, {}, {}
local seen_w, seen_d, seen_c = {}, {}, {}
-- name suffixes: wsuffix[w][slot] = ':w:<slot>:<bs>:<n>', dprefix[slot][bs] = ':d:<slot>:<bs>:'
local wsuffix, dprefix = {}, {}
for w = 1, nw do wslots[w] = {}; seen_w[w] = {}; wsuffix[w] = {} end
for o = 1, no do
  local w = owin[o]
  local bs = wbs[w]
  if keep[bs] == nil or keep[bs] < wn[w] then keep[bs] = wn[w] end
  if okind[o] == 'd' then
    local slot = oslot[o]
    if not seen_w[w][slot] then
      seen_w[w][slot] = true
      table.insert(wslots[w], slot)
      wsuffix[w][slot] = ':w:' .. slotstr[slot] .. ':' .. wname[w]
    end
    seen_d[slot] = seen_d[slot] or {}
    dprefix[slot] = dprefix[slot] or {}
    if not seen_d[slot][bs] then
      seen_d[slot][bs] = true
      dpairs[#dpairs + 1] = { slot, bs }
      dprefix[slot][bs] = ':d:' .. slotstr[slot] .. ':' .. bstr[bs] .. ':'
    end
  else
    wcs[w] = true
    if not seen_c[bs] then seen_c[bs] = true; cbs[#cbs + 1] = bs end
  end
end
-- One read of the entity's state: watermark, next trim, oldest id, last TTL refresh, running windows.
local head_fields = { 'wm', 'nt', 'io', 'ex' }
for w = 1, nw do head_fields[w + 4] = 'r:' .. wname[w] end

-- sidx: the bucket index as a string (convert it once per event and bucket size)
local function bucket_key(slot, bs, sidx) return counters .. dprefix[slot][bs] .. sidx end
local function window_key(slot, w) return counters .. wsuffix[w][slot] end
local function field(bs, sidx) return bstr[bs] .. ':' .. sidx end

local function chunked(command, key, items)
  for i = 1, #items, 1000 do rcall(command, key, unpack(items, i, math.min(i + 999, #items))) end
end

-- Count and sum of buckets [from, to] of size bs.
local function sum_buckets(bs, from, to)
  local fields = {}
  for idx = from, to do
    local f = field(bs, tostring(idx))
    fields[#fields + 1] = f .. ':c'
    fields[#fields + 1] = f .. ':s'
  end
  if #fields == 0 then return 0, 0 end
  local values = rcall('HMGET', counters, unpack(fields))
  local c, s = 0, 0
  for i = 1, #values, 2 do
    if values[i] then c = c + tonumber(values[i]); s = s + tonumber(values[i + 1]) end
  end
  return c, s
end

-- Rebuilds a window's distinct zset (value -> newest bucket it occurs in) from buckets [from, to].
local function rebuild_distinct(slot, bs, from, to, wkey)
  rcall('DEL', wkey)
  for idx = from, to do
    for _, v in ipairs(rcall('HKEYS', bucket_key(slot, bs, tostring(idx)))) do rcall('ZADD', wkey, 'GT', idx, v) end
  end
  rcall('PEXPIRE', wkey, ttl)
end

-- Running windows, loaded on first use: state[w] = { head = idx or nil, c, s, dirty }.
local function window(w)
  local st = state[w]
  if st == nil then
    local raw = head_values[w + 4]
    st = { c = 0, s = 0 }
    if raw then
      local saved = cmsgpack.unpack(raw) -- { head, count, sum }
      st.head, st.c, st.s = saved[1], saved[2], saved[3]
    end
    state[w] = st
  end
  return st
end

-- Moves window w's head forward to idx (> head), or builds it from the buckets when it has none.
local function advance(w, idx)
  local st, bs, n = window(w), wbs[w], wn[w]
  if st.head == nil then
    -- a new entity has no buckets; an entity counted by an older script version gets its windows built once
    if wm0 == nil then st.head = idx; st.dirty = true; return end
    if wcs[w] then st.c, st.s = sum_buckets(bs, idx - n + 1, idx) end
    for _, slot in ipairs(wslots[w]) do rebuild_distinct(slot, bs, idx - n + 1, idx, window_key(slot, w)) end
  elseif idx - n >= st.head then
    st.c, st.s = 0, 0
    for _, slot in ipairs(wslots[w]) do rcall('DEL', window_key(slot, w)) end
  else
    if wcs[w] then
      -- subtract the buckets that leave, or re-add the ones that stay: whichever are fewer
      local leaving = idx - st.head
      if leaving <= n - leaving then
        local c, s = sum_buckets(bs, st.head - n + 1, idx - n)
        st.c, st.s = st.c - c, st.s - s
      else
        st.c, st.s = sum_buckets(bs, idx - n + 1, st.head)
      end
    end
    -- values whose newest occurrence leaves the window
    for _, slot in ipairs(wslots[w]) do rcall('ZREMRANGEBYSCORE', window_key(slot, w), '-inf', idx - n) end
  end
  st.head = idx
  st.dirty = true
end

-- A bucket (bs, idx) can be deleted once no read reaches it: when wm >= (idx + keep[bs]) * bs + lateness.
local function expiry(bs, idx) return (idx + keep[bs]) * bs + lateness end
local function written(bs, idx)
  local x = expiry(bs, idx)
  if next_trim == nil or x < next_trim then next_trim = x; trim_dirty = true end
end

-- Deletes every bucket that no read can reach at watermark mark; only runs when one exists (next_trim <= mark).
-- Buckets are found from the hash's own fields: distinct bucket hashes have a marker field 'k:d:<slot>:<bs>:<idx>'.
local function trim(mark)
  if next_trim == nil or mark < next_trim then return end
  local fields, keys, soonest = {}, {}, nil
  for _, f in ipairs(rcall('HKEYS', counters)) do
    local bs, idx = string.match(f, '^(%d+):(-?%d+):c$')
    local slot
    if bs == nil then slot, bs, idx = string.match(f, '^k:d:(%d+):(%d+):(-?%d+)$') end
    if bs ~= nil then
      bs, idx = tonumber(bs), tonumber(idx)
      local x = keep[bs] and expiry(bs, idx) or mark
      if x <= mark then
        fields[#fields + 1] = f
        if slot == nil then fields[#fields + 1] = string.sub(f, 1, -2) .. 's' else keys[#keys + 1] = counters .. string.sub(f, 2) end
      elseif soonest == nil or x < soonest then
        soonest = x
      end
    end
  end
  if #fields > 0 then chunked('HDEL', counters, fields) end
  for i = 1, #keys, 1000 do rcall('DEL', unpack(keys, i, math.min(i + 999, #keys))) end
  next_trim = soonest
  trim_dirty = true
end

-- Distinct values over buckets (idx - n, idx] when idx is not the window's head.
local function distinct_of_buckets(slot, w, idx)
  local values, count = {}, 0
  for b = idx - wn[w] + 1, idx do
    for _, v in ipairs(rcall('HKEYS', bucket_key(slot, wbs[w], tostring(b)))) do
      if not values[v] then values[v] = true; count = count + 1 end
    end
  end
  return count
end

local function count_event(t, amount, dv)
  for w = 1, nw do
    local idx, st = floor(t / wbs[w]), window(w)
    if st.head == nil or idx > st.head then advance(w, idx) end
  end
  local sidx = {}
  for _, bs in ipairs(cbs) do
    local idx = floor(t / bs)
    sidx[bs] = tostring(idx)
    local f = field(bs, sidx[bs])
    if rcall('HINCRBY', counters, f .. ':c', 1) == 1 then written(bs, idx) end
    rcall('HINCRBY', counters, f .. ':s', amount)
  end
  for _, pair in ipairs(dpairs) do
    local slot, bs = pair[1], pair[2]
    local v = ARGV[dv + slot - 1]
    if v ~= '' then
      local idx = floor(t / bs)
      local s = sidx[bs]
      if s == nil then s = tostring(idx); sidx[bs] = s end
      local key = bucket_key(slot, bs, s)
      if rcall('HINCRBY', key, v, 1) == 1 and rcall('HSETNX', counters, 'k' .. dprefix[slot][bs] .. s, 1) == 1 then
        rcall('PEXPIRE', key, ttl)
        written(bs, idx)
      end
    end
  end
  for w = 1, nw do
    local st = window(w)
    if floor(t / wbs[w]) > st.head - wn[w] then
      if wcs[w] then st.c = st.c + 1; st.s = st.s + amount; st.dirty = true end
      for _, slot in ipairs(wslots[w]) do
        local v = ARGV[dv + slot - 1]
        if v ~= '' then
          local wkey = window_key(slot, w)
          -- a new member may mean a new key: give it the TTL (the periodic refresh covers the rest)
          if rcall('ZADD', wkey, 'GT', floor(t / wbs[w]), v) == 1 then rcall('PEXPIRE', wkey, ttl) end
        end
      end
    end
  end
end

-- The event's reply: { status, lateMs, v1, ..., vO } as numbers (Redis turns them into integers).
local function features_at(t, status, late)
  local values, sums = { status, late }, {}
  for o = 1, no do
    local w, kind = owin[o], okind[o]
    local st, idx = window(w), floor(t / wbs[w])
    local head = st.head ~= nil and idx == st.head
    if kind == 'd' then
      if head then values[o + 2] = rcall('ZCARD', window_key(oslot[o], w))
      else values[o + 2] = distinct_of_buckets(oslot[o], w, idx) end
    else
      local c, s
      if head then c, s = st.c, st.s
      else
        local cached = sums[w]
        if cached == nil then cached = { sum_buckets(wbs[w], idx - wn[w] + 1, idx) }; sums[w] = cached end
        c, s = cached[1], cached[2]
      end
      values[o + 2] = kind == 'c' and c or s
    end
  end
  return values
end

-- Counts and reads the events of the current entity, appending one reply per event to out.
local function process_entity(out)
  local ne = tonumber(ARGV[p]); p = p + 1
  for e = 1, ne do
    local id, ts, amount = ARGV[p], tonumber(ARGV[p + 1]), tonumber(ARGV[p + 2])
    local dv = p + 3
    p = p + 3 + nd
    local first = rcall('HGET', replies, id)
    if first then
      first = cmsgpack.unpack(first) -- { effective time, status, lateMs, v1, ..., vO } of the first counting
      if wm and first[1] < wm - lateness - retention then
        first = nil
      else
        out[#out + 1] = { DUPLICATE, 0, unpack(first, 4) }
      end
    end
    if not first then
      local status, t, late = IN_ORDER, ts, 0
      if wm and ts < wm then
        late = wm - ts
        status = LATE
        if ts < wm - lateness then
          t = wm - lateness
          status = (ts < t - retention) and STALE or CLAMPED
        end
      end
      if status ~= STALE then
        count_event(t, amount, dv)
        -- after count_event: moving the running windows forward reads the buckets that leave them
        if wm == nil or t > wm then
          wm = t
          trim(wm)
        end
      end
      local reply = features_at(t, status, late)
      if status ~= STALE then
        rcall('HSET', replies, id, cmsgpack.pack({ t, unpack(reply) }))
        rcall('ZADD', ids, t, id)
        if oldest_id == nil or t < oldest_id then oldest_id = t; meta_dirty = true end
      end
      out[#out + 1] = reply
    end
  end

  local dirty = {}
  for w, st in pairs(state) do
    if st.dirty then
      dirty[#dirty + 1] = head_fields[w + 4]
      dirty[#dirty + 1] = cmsgpack.pack({ st.head, st.c, st.s })
    end
  end
  if trim_dirty then
    dirty[#dirty + 1] = 'nt'
    dirty[#dirty + 1] = next_trim or ''
  end
  if wm and wm ~= wm0 then
    dirty[#dirty + 1] = 'wm'
    dirty[#dirty + 1] = wm
  end
  -- ids older than the retention, only when the oldest one is
  if wm and oldest_id and oldest_id < wm - lateness - retention then
    local cut = '(' .. tostring(wm - lateness - retention)
    chunked('HDEL', replies, rcall('ZRANGEBYSCORE', ids, '-inf', cut))
    rcall('ZREMRANGEBYSCORE', ids, '-inf', cut)
    oldest_id = tonumber(rcall('ZRANGE', ids, 0, 0, 'WITHSCORES')[2])
    meta_dirty = true
  end
  -- TTLs: set when the entity is new, then refreshed each time its event time moves on by a quarter of the TTL
  -- (keys created in between get theirs when created), so an active entity never expires and an idle one does.
  local refresh = wm and (wm0 == nil or refreshed == nil or wm - refreshed >= ttl_ms / 4)
  if refresh then
    refreshed = wm
    meta_dirty = true
  end
  if meta_dirty then
    dirty[#dirty + 1] = 'io'
    dirty[#dirty + 1] = oldest_id or ''
    dirty[#dirty + 1] = 'ex'
    dirty[#dirty + 1] = refreshed or ''
  end
  if #dirty > 0 then rcall('HSET', counters, unpack(dirty)) end
  if refresh then
    rcall('PEXPIRE', counters, ttl)
    rcall('PEXPIRE', ids, ttl)
    rcall('PEXPIRE', replies, ttl)
    for w = 1, nw do
      for _, slot in ipairs(wslots[w]) do rcall('PEXPIRE', window_key(slot, w), ttl) end
    end
  end
end

local out = {}
for g = 1, ng do
  counters, ids, replies = KEYS[3 * g - 2], KEYS[3 * g - 1], KEYS[3 * g]
  head_values = rcall('HMGET', counters, unpack(head_fields))
  wm = tonumber(head_values[1])
  wm0 = wm
  next_trim = tonumber(head_values[2])
  oldest_id = tonumber(head_values[3])
  refreshed = tonumber(head_values[4])
  trim_dirty, meta_dirty, state = false, false, {}
  process_entity(out)
end
return out
