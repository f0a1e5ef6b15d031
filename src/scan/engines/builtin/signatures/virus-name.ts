/** clamd appends ".UNOFFICIAL" to every name loaded from a database that is not a signed official CVD. */
export function unofficialName(name: string): string {
  return `${name}.UNOFFICIAL`;
}
