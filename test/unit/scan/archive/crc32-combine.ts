// CRC-32 of A ++ B from crc(A), crc(B) and B's length, as zlib's crc32_combine computes it:
// appending len(B) zero bits to crc(A) is a linear map over GF(2), applied by repeated squaring.

function matrixTimes(matrix: Uint32Array, vector: number): number {
  let sum = 0;
  for (let row = 0; vector !== 0; row++, vector >>>= 1) if (vector & 1) sum ^= matrix[row];
  return sum >>> 0;
}

function matrixSquare(square: Uint32Array, matrix: Uint32Array): void {
  for (let row = 0; row < 32; row++) square[row] = matrixTimes(matrix, matrix[row]);
}

export function crc32Combine(crcA: number, crcB: number, lengthB: number): number {
  if (lengthB <= 0) return crcA;
  const even = new Uint32Array(32);
  const odd = new Uint32Array(32);
  odd[0] = 0xedb88320; // the CRC-32 polynomial: the operator for one zero bit
  for (let row = 1; row < 32; row++) odd[row] = 1 << (row - 1);
  matrixSquare(even, odd); // two zero bits
  matrixSquare(odd, even); // four zero bits

  let crc = crcA;
  let remaining = lengthB;
  for (;;) {
    matrixSquare(even, odd);
    if (remaining % 2 === 1) crc = matrixTimes(even, crc);
    remaining = Math.floor(remaining / 2);
    if (remaining === 0) break;
    matrixSquare(odd, even);
    if (remaining % 2 === 1) crc = matrixTimes(odd, crc);
    remaining = Math.floor(remaining / 2);
    if (remaining === 0) break;
  }
  return (crc ^ crcB) >>> 0;
}
