// Publishing one change is one Lua script in Redis, so that the stream entry and the hash by SHA-256
// are written together: XADD (trimmed to about maxLength entries), then the hash field for the SHA-256
// is replaced only if the change wins over the one kept there — changeWins() in shared-change.ts,
// the same rule written in Lua. The hash is what a machine with no usable position in the stream
// (new, or behind the trimmed start) reads to catch up.
//
// KEYS[1] the stream, KEYS[2] the hash. ARGV[1] maxLength, ARGV[2] the publishing instance's id,
// ARGV[3] the change (encodeChange). Returns the new entry's id.
export const PUBLISH_SCRIPT = `
local function at(c)
  if c.kind == 'forget' then return c.forgottenAt end
  return c.decidedAt
end
local function wins(kept, incoming)
  if kept == nil then return true end
  if incoming.kind == 'forget' then return at(kept) <= incoming.forgottenAt end
  if kept.kind == 'forget' then return incoming.decidedAt > kept.forgottenAt end
  if incoming.source == 'manual' and kept.source == 'engine' then return true end
  return incoming.source == kept.source and incoming.decidedAt >= kept.decidedAt
end
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'origin', ARGV[2], 'change', ARGV[3])
local incoming = cjson.decode(ARGV[3])
local keptText = redis.call('HGET', KEYS[2], incoming.sha256)
local kept = nil
if keptText then kept = cjson.decode(keptText).change end
if wins(kept, incoming) then
  redis.call('HSET', KEYS[2], incoming.sha256, '{"origin":' .. cjson.encode(ARGV[2]) .. ',"change":' .. ARGV[3] .. '}')
end
return id
`;

/** The hash that keeps the winning change per SHA-256, next to the stream. */
export function hashKey(stream: string): string {
  return `${stream}:by-sha256`;
}
