export { archiveKind, type ArchiveKind } from './archive-kind.js';
export { CHUNK_SIZE as INFLATE_CHUNK_BYTES, inflateMeter } from './bounded-inflate.js';
export { ArchiveFindingName } from './finding-names.js';
export { inspectArchive, type ArchiveInfo } from './inspect-archive.js';
export { defaultArchiveLimits, type ArchiveLimits } from './limits.js';
export { zipDirectoryMeter } from './zip-file.js';
