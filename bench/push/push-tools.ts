/**
 * The pushes the push benchmark times: `ferry push ARCHIVE --to REGISTRY/mirror` (wall time and
 * peak RSS through bench/peak-rss.js), and what a user would script without ferry: one `tar -xf`
 * of the archive (a tar holding an OCI layout) then `skopeo copy oci:DIR:REF docker://DEST` per
 * image, or `skopeo copy oci-archive:ARCHIVE:REF docker://DEST` per image (skopeo unpacks the
 * archive again for every image).
 */
import { mkdirSync, readdirSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { TestRegistry } from '../../test/helpers/registry.js';
import { expect } from '../copy/broken-copy.js';
import { mustExec } from '../copy/exec.js';
import type { BuiltImage } from '../copy/generate-layout.js';
import { runFerryCommand, runFerryProcess, runSkopeoCopies } from '../copy/run-tools.js';
import { destinationOf, pushTarget } from './destinations.js';

/** What the benchmark keeps of `ferry push --json`'s result (src/archive/push/push-archive.ts PushResult). */
export interface PushSummary {
  /** How the archive was checked first: full (hashed), unchanged (volumes unchanged since a recorded verify), skipped. */
  verify: string;
  images: { total?: number; pushed: number; skipped: number; failed: number };
  blobs: { pushed: number; mounted: number; skipped: number };
  /** Bytes of blobs sent. */
  bytes: number;
  /** The push's own time, without node and oclif start-up. */
  seconds: number;
}

interface PushEnvelope extends PushSummary {
  failed?: unknown[];
}

export interface FerryPushSample {
  wallMs: number;
  peakRssMb: number;
  result: PushSummary;
  /** The files push wrote into --manifests. */
  manifests: string[];
}

export interface SkopeoPushSample {
  wallMs: number;
  /** Highest peak RSS of one skopeo process, when GNU time is there. */
  peakRssMb: number | null;
  /** tar -xf (zero for oci-archive:, which has none of its own). */
  extractMs: number;
  copiesMs: number;
}

/** True when this build of ferry has a `push` command (`ferry push --help` exits 0). */
export async function pushAvailable(): Promise<boolean> {
  return (await runFerryProcess(['push', '--help'])).code === 0;
}

/**
 * `ferry push ARCHIVE --to REGISTRY/mirror --cache-dir CACHE --manifests MANIFESTS --json`: must
 * exit 0 and report no failed image.
 */
export async function ferryPush(archive: string, registry: TestRegistry, cacheDir: string, manifestsDir: string): Promise<FerryPushSample> {
  mkdirSync(cacheDir, { recursive: true });
  mkdirSync(manifestsDir, { recursive: true });
  const r = await runFerryCommand<PushEnvelope>(['push', archive, '--to', pushTarget(registry.host), '--cache-dir', cacheDir, '--manifests', manifestsDir]);
  const { verify, images, blobs, bytes, seconds, failed } = r.envelope.result;
  expect(images.failed === 0 && (failed ?? []).length === 0, `ferry push reports failed images: ${JSON.stringify(failed)}`);
  return { wallMs: r.wallMs, peakRssMb: r.peakRssMb, result: { verify, images, blobs, bytes, seconds }, manifests: readdirSync(manifestsDir).sort() };
}

/** The skopeo copies of `images` (source references) from `source(ref)` to their destinations in `registry`. */
function copyPairs(images: readonly BuiltImage[], registry: TestRegistry, source: (ref: string) => string): Array<[string, string]> {
  return images.map((i) => {
    const dest = destinationOf(i.name, registry.host);
    return [source(i.name), `docker://${registry.host}/${dest.repository}:${dest.tag}`];
  });
}

/** `tar -xf ARCHIVE -C DIR`, then `skopeo copy oci:DIR:REF docker://DEST` per image, `concurrency` at a time; timed together. */
export async function skopeoPushFromLayout(archive: string, images: readonly BuiltImage[], registry: TestRegistry, dir: string, concurrency = 1): Promise<SkopeoPushSample> {
  const started = performance.now();
  mkdirSync(dir, { recursive: true });
  const tar = await mustExec('tar', ['-xf', archive, '-C', dir], process.env);
  const copies = await runSkopeoCopies(
    ['--dest-tls-verify=false'],
    copyPairs(images, registry, (ref) => `oci:${dir}:${ref}`),
    concurrency,
  );
  return { wallMs: performance.now() - started, peakRssMb: copies.peakRssMb, extractMs: tar.wallMs, copiesMs: copies.wallMs };
}

/** `skopeo copy oci-archive:ARCHIVE:REF docker://DEST` per image, one after another. */
export async function skopeoPushFromArchive(archive: string, images: readonly BuiltImage[], registry: TestRegistry): Promise<SkopeoPushSample> {
  const copies = await runSkopeoCopies(['--dest-tls-verify=false'], copyPairs(images, registry, (ref) => `oci-archive:${archive}:${ref}`));
  return { wallMs: copies.wallMs, peakRssMb: copies.peakRssMb, extractMs: 0, copiesMs: copies.wallMs };
}
