export type Path = (string | number)[];

/** ["conditions", 0, "value"] → "conditions[0].value" */
export function formatPath(path: Path): string {
  return path.map((key, index) => (typeof key === 'number' ? `[${key}]` : index === 0 ? key : `.${key}`)).join('');
}
