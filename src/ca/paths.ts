import { join } from 'node:path';

export interface CaPaths {
  certsDir: string;
  caCert: string;
  caKey: string;
  leafKey: string;
  leavesDir: string;
}

export function caPaths(dataDir: string): CaPaths {
  const certsDir = join(dataDir, 'certs');
  return {
    certsDir,
    caCert: join(certsDir, 'ca.pem'),
    caKey: join(certsDir, 'ca.key'),
    leafKey: join(certsDir, 'leaf.key'),
    leavesDir: join(certsDir, 'leaves'),
  };
}
