// The builtin content engine: EICAR, ClamAV hash (.hdb/.hsb) and body (.ndb) signatures, true file
// type, and file-name/type heuristics. Hashing and the signature automaton share one pass over the
// file, in slices that leave the event loop room to breathe.
import type { Finding } from '../../../types/verdict.js';
import type { ContentEngine, ContentInfo, ContentStream, FileFacts, StreamOpening } from '../../types.js';
import { findingLocation } from '../finding-location.js';
import type { BodyMatcherOptions } from './body/body-database.js';
import { EICAR_NAME, isEicarTestFile } from './eicar.js';
import { detectFileType, detectFileTypeFromHead } from './file-type/detect-file-type.js';
import { HashPass } from './hash/hash-pass.js';
import { heuristicNames } from './heuristics/run-heuristics.js';
import { loadSignatures, type SignatureCount } from './signatures/load-signatures.js';
import { shippedSignatureDir } from './signatures/shipped-signature-dir.js';
import type { SignatureWarning } from './signatures/signature-warnings.js';
import { unofficialName } from './signatures/virus-name.js';
import { forEachSlice } from './slices.js';

export interface BuiltinEngineOptions {
  /** User signature directories, loaded after the shipped ones. */
  signatureDirs: string[];
  /** Load src/scan/signatures too (default true). */
  includeShippedSignatures?: boolean;
  /** Tuning for tests and benchmarks. */
  automaton?: BodyMatcherOptions;
}

export interface BuiltinEngine extends ContentEngine {
  readonly name: 'builtin';
  facts(content: Buffer, info: ContentInfo): FileFacts;
  /** facts() of a file known by its first bytes only, or undefined when they do not decide them. */
  factsFromHead(head: Buffer, info: ContentInfo): FileFacts | undefined;
  open(info: ContentInfo, opening: StreamOpening): ContentStream | undefined;
  readonly signatureCount: SignatureCount;
  /** Lines and files skipped while loading, each with file and line. */
  readonly warnings: readonly SignatureWarning[];
  /** Valid signatures not loaded because their functionality level excludes this engine. */
  readonly skippedByFlevel: number;
  /** The directories loaded, shipped one first. */
  readonly signatureDirs: readonly string[];
}

export async function createBuiltinEngine(options: BuiltinEngineOptions): Promise<BuiltinEngine> {
  const dirs = [...(options.includeShippedSignatures === false ? [] : [shippedSignatureDir()]), ...options.signatureDirs];
  const loaded = await loadSignatures(dirs, options.automaton);
  loaded.bodies.prepare();
  const { hashes, bodies } = loaded;

  // The inspection asks for a part's facts before the scan asks again: detected once per file.
  const detected = new WeakMap<Buffer, { fileName?: string; facts: FileFacts }>();
  const facts = (content: Buffer, info: ContentInfo): FileFacts => {
    const known = detected.get(content);
    if (known && known.fileName === info.fileName) return known.facts;
    const fileFacts = detectFileType(content, info.fileName);
    detected.set(content, { fileName: info.fileName, facts: fileFacts });
    return fileFacts;
  };

  const scan = async (content: Buffer, info: ContentInfo): Promise<Finding[]> => {
    const fileFacts = facts(content, info);
    const algorithms = hashes.algorithmsFor(content.length);
    const hashPass = new HashPass(algorithms, content);
    const bodyScan = bodies.size > 0 ? bodies.startScan(content, fileFacts.detectedType) : undefined;
    if (!hashPass.idle || bodyScan?.searching) {
      await forEachSlice(content.length, (start, end) => {
        if (!hashPass.idle) hashPass.update(content.subarray(start, end));
        bodyScan?.feed(start, end);
      });
    }

    const hashNames = algorithms.length === 0 ? [] : hashes.match(content.length, hashPass.digests());
    return findingsOf(info, fileFacts, isEicarTestFile(content), hashNames, bodyScan?.names() ?? []);
  };

  // The same scan over slices. A hash signature's size is the decoded size, known at the end, so
  // every algorithm with a signature of a size the file may still have is computed (by the caller's
  // StreamedDigests, shared with the verdict store lookup) and matched at the end; EICAR is at most
  // 128 bytes, so never streamed.
  const open = (info: ContentInfo, { head, maxSize, digests }: StreamOpening): ContentStream | undefined => {
    const fileFacts = detectFileTypeFromHead(head, info.fileName);
    if (!fileFacts) return undefined;
    const bodyScan = bodies.size > 0 ? bodies.startStreamScan(fileFacts.detectedType) : undefined;
    const algorithms = hashes.algorithmsForSizes(head.length, maxSize);
    for (const algorithm of algorithms) digests.want(algorithm);
    let length = 0;
    return {
      write(slice) {
        length += slice.length;
        bodyScan?.feed(slice);
      },
      async end() {
        bodyScan?.end();
        // The anchor of a signature only a whole-file evaluation decides occurred.
        if (bodyScan?.needsWholeFile) return 'whole-file';
        const hashNames = hashes.match(length, Object.fromEntries(hashes.algorithmsFor(length).map((algorithm) => [algorithm, digests.digest(algorithm)])));
        return findingsOf(info, fileFacts, false, hashNames, bodyScan?.names() ?? []);
      },
      // Nothing outside this closure to release: the window goes with it.
      abort() {},
    };
  };

  return {
    name: 'builtin',
    scan,
    open,
    facts,
    factsFromHead: (head, info) => detectFileTypeFromHead(head, info.fileName),
    signatureCount: { ...loaded.count },
    warnings: loaded.warnings,
    skippedByFlevel: loaded.skippedByFlevel,
    signatureDirs: dirs,
  };
}

function findingsOf(info: ContentInfo, fileFacts: FileFacts, eicar: boolean, hashNames: string[], bodyNames: string[]): Finding[] {
  const location = findingLocation(info);
  const signature = (name: string): Finding => ({ engine: 'builtin', name, kind: 'signature', location });
  const findings: Finding[] = [];
  if (eicar) findings.push(signature(EICAR_NAME));
  for (const name of new Set([...hashNames, ...bodyNames])) findings.push(signature(unofficialName(name)));
  for (const name of heuristicNames(fileFacts, info)) findings.push({ engine: 'builtin', name, kind: 'heuristic', location });
  return findings;
}
