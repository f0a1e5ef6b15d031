// MIME layer: walking messages into scannable parts, and byte-preserving rewrites.
export { walkMessage, walkMessageSource, walkPart, type WalkPartOptions } from './walk-message.js';
export { stripParts, type PartRemoval, type RewriteResult, type StripOptions } from './rewrite/strip-parts.js';
export { stripSinglePart } from './rewrite/strip-single-part.js';
export { replaceMessage, replaceMessageKeepingSize, type ReplaceMessageOptions } from './rewrite/replace-message.js';
export type { NoticeForm, NoticeLadder } from './rewrite/replacement-entity.js';
export { addHeader } from './rewrite/add-header.js';
export { tagSubject } from './rewrite/tag-subject.js';
export { readTopHeader, type TopHeader } from './rewrite/top-header.js';
export { readEnvelope, type MessageEnvelope } from './envelope.js';
export { NO_HEADER_LIMITS, splitHeaderFields } from './header-fields.js';
export { bufferSource, type ByteSource } from './byte-source.js';
export { DEFAULT_WALK_LIMITS, type ByteRange, type MimePart, type PartDescription, type WalkLimits, type WalkResult } from './types.js';
