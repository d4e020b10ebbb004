--[[
  Reads the velocity state hashes of entities not cached by the caller, each packed into one string: its HGETALL reply
  (field, value, field, value, ...) joined by the byte 0xFF, which UTF-8 text never contains. One bulk string per
  entity instead of two per field: the caller's client decodes a state in one piece (src/features/load-script.ts).

  KEYS[k]  state hash of entity k (docs/features.md, Storage). An absent hash is an empty string.
  Reply: { packed hash of KEYS[1], packed hash of KEYS[2], ... }
]]
local out = {}
for k = 1, #KEYS do
  out[k] = table.concat(redis.call('HGETALL', KEYS[k]), '\255')
end
return out
