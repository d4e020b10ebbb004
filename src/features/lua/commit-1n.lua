--[[
  Writes the velocity state of a batch's entities, each only if it is still the version the writer read and none of
  the ids it counted as new is already counted (compare-and-set per entity); returns what the writer needs to recount
  every entity that was refused.

  KEYS[k]  state hash of entity k: <prefix>{<entity>}:s (docs/features.md, Storage); field 'v' is its version token.
           Its id buckets are hashes <KEYS[k]>:i:<idx> (same hash tag, so the same cluster slot; derived, not passed,
           like BullMQ's prefixed keys): field event id, value '<effective time>,<outputs>'.
  ARGV[1]  idle TTL ms
  ARGV[2]  JSON array, one entry per key in KEYS order:
           { expected version ('' = the hash must not exist), expire (1 = set the TTL on the state hash),
             { field, value, ... } to set on the state hash (the first pair is 'v' and the new version whenever
               anything is written), { field, ... } to delete from it,
             { idx, n, id, value, ... (n pairs), ... } ids to add, by id bucket (a bucket may head several groups),
             { idx, ... } id buckets to delete,
             { idx, n, id, ... (n ids), ... } ids to look up, by id bucket: the writer counted them as new,
             { idx, ... } id buckets to set the TTL on }

  Reply: { k, { field, value, ... }, { id, value, ... }, ... } for each entity k refused, because its version was not
  the expected one or one of the looked-up ids is there: its whole state hash (HGETALL) and the looked-up ids found
  with their values. Nothing is written to a refused entity. An empty array when every entity was written.
]]
local rcall = redis.call
local ttl = ARGV[1]
local entries = cjson.decode(ARGV[2])
local CHUNK = 1000 -- elements per command call: far below Lua's unpack limit

local function chunked(command, key, items, from, to, step)
  for i = from, to, step do rcall(command, key, unpack(items, i, math.min(i + step - 1, to))) end
end

local function lookups(key, checks)
  local found, i = {}, 1
  while i <= #checks do
    local bucket, n = key .. ':i:' .. checks[i], tonumber(checks[i + 1])
    for from = i + 2, i + 1 + n, CHUNK do
      local to = math.min(from + CHUNK - 1, i + 1 + n)
      local values = rcall('HMGET', bucket, unpack(checks, from, to))
      for j = 1, #values do
        if values[j] then
          found[#found + 1] = checks[from + j - 1]
          found[#found + 1] = values[j]
        end
      end
    end
    i = i + 2 + n
  end
  return found
end

local conflicts = {}
for k = 1, #KEYS do
  local key, entry = KEYS[k], entries[k]
  local current = rcall('HGET', key, 'v') or ''
  local found = lookups(key, entry[7])
  if current ~= entry[1] or #found > 0 then
    conflicts[#conflicts + 1] = k
    conflicts[#conflicts + 1] = rcall('HGETALL', key)
    conflicts[#conflicts + 1] = found
  else
    local sets, deletes, ids = entry[3], entry[4], entry[5]
    if #sets > 0 then chunked('HSET', key, sets, 1, #sets, 2 * CHUNK) end
    if #deletes > 0 then chunked('HDEL', key, deletes, 1, #deletes, CHUNK) end
    local i = 1
    while i <= #ids do
      local n = tonumber(ids[i + 1])
      chunked('HSET', key .. ':i:' .. ids[i], ids, i + 2, i + 1 + 2 * n, 2 * CHUNK)
      i = i + 2 + 2 * n
    end
    for _, idx in ipairs(entry[6]) do rcall('DEL', key .. ':i:' .. idx) end
    if entry[2] == 1 then rcall('PEXPIRE', key, ttl) end
    for _, idx in ipairs(entry[8]) do rcall('PEXPIRE', key .. ':i:' .. idx, ttl) end
  end
end
return conflicts
