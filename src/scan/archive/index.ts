export { archiveKind } from './archive-kind.js';
export { ArchiveFindingName } from './finding-names.js';
export { inspectArchive, type ArchiveInfo } from './inspect-archive.js';
export { defaultArchiveLimits, type ArchiveLimits } from './limits.js';
