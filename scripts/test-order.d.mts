export function readDurations(path: string): Map<string, number>;
export function longestFirst(files: string[], recorded: Map<string, number>): string[];
