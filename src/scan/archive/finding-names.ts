/** Detection names the archive inspector reports (Finding.engine is always "archive"). */
export const ArchiveFindingName = {
  Corrupt: 'Archive.Corrupt',
  Encrypted: 'Archive.Encrypted',
  OverlappingEntries: 'Archive.OverlappingEntries',
  UnsupportedMethod: 'Archive.UnsupportedMethod',
  DepthExceeded: 'Archive.LimitExceeded.Depth',
  FilesExceeded: 'Archive.LimitExceeded.Files',
  SizeExceeded: 'Archive.LimitExceeded.Size',
  RatioExceeded: 'Archive.LimitExceeded.Ratio',
} as const;

export type ArchiveFindingName = (typeof ArchiveFindingName)[keyof typeof ArchiveFindingName];

export type LimitFindingName =
  | typeof ArchiveFindingName.DepthExceeded
  | typeof ArchiveFindingName.FilesExceeded
  | typeof ArchiveFindingName.SizeExceeded
  | typeof ArchiveFindingName.RatioExceeded
  | typeof ArchiveFindingName.OverlappingEntries
  | typeof ArchiveFindingName.UnsupportedMethod;
