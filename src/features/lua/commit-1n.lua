--[[
  Writes the velocity state of a batch's entities, each only if it is still the version the writer read
  (compare-and-set per entity), and returns the current state of every entity that was not.

  KEYS[k]  state hash of entity k: <prefix>{<entity>}:s (docs/features.md, Storage); field 'v' is its version token
  ARGV[1]  idle TTL ms, set on the hashes whose entry asks for it
  ARGV[2]  JSON array, one entry per key in KEYS order:
           { expected version ('' = the hash must not exist), expire (1 = set the TTL),
             { field, value, ... } to set (the first pair is 'v' and the new version whenever anything is written),
             { field, ... } to delete }

  Reply: { k, { field, value, ... }, ... } for each entity k whose version was not the expected one: its whole hash
  (HGETALL), nothing written to it. An empty array when every entity was written.
]]
local rcall = redis.call
local ttl = ARGV[1]
local entries = cjson.decode(ARGV[2])
local CHUNK = 1000 -- elements per command call: far below Lua's unpack limit

local function chunked(command, key, items, step)
  for i = 1, #items, step do rcall(command, key, unpack(items, i, math.min(i + step - 1, #items))) end
end

local conflicts = {}
for k = 1, #KEYS do
  local key, entry = KEYS[k], entries[k]
  local current = rcall('HGET', key, 'v') or ''
  if current ~= entry[1] then
    conflicts[#conflicts + 1] = k
    conflicts[#conflicts + 1] = rcall('HGETALL', key)
  else
    local sets, deletes = entry[3], entry[4]
    if #sets > 0 then chunked('HSET', key, sets, 2 * CHUNK) end
    if #deletes > 0 then chunked('HDEL', key, deletes, CHUNK) end
    if entry[2] == 1 then rcall('PEXPIRE', key, ttl) end
  end
end
return conflicts
