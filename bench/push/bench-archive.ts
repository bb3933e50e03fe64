/**
 * The archive the push benchmark pushes, made once before anything is timed, the way bench:pack
 * makes its own: the benchmark image set (bench/copy/image-set.ts) generated and pushed by skopeo
 * into a local source registry, a catalog image naming those images by digest built with `ferry
 * registry build`, then `ferry pack --catalog` into a single-file archive, checked like bench:pack
 * checks its archives. The source registry is stopped afterwards: push reads only the archive.
 */
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { pushWithSkopeo } from '../copy/fill-registry.js';
import { writeLayout, type BuiltImage } from '../copy/generate-layout.js';
import { imageSpecs, SEED } from '../copy/image-set.js';
import { freshRegistry, stopRegistry } from '../copy/local-registries.js';
import { runFerryCommand } from '../copy/run-tools.js';
import { scratchPath } from '../copy/scratch-dir.js';
import { archiveContents, buildBenchCatalog, pushBaseImage, type BenchCatalog } from '../pack/catalog-image.js';
import { verifyFerryArchive, type ArchiveFacts, type ExpectedArchive } from '../pack/check-archive.js';

export interface BenchArchive {
  /** The single-file archive. */
  file: string;
  identity: string;
  /** Every image a push must deliver, each named by its normalized source reference: the related images, then the catalog. */
  images: BuiltImage[];
  catalog: BenchCatalog;
  expected: ExpectedArchive;
  /** Sum of the archive's blob sizes. */
  blobBytes: number;
  facts: ArchiveFacts;
  generated: { images: number; distinctLayers: number; uniqueBytes: number; logicalBytes: number; manifestsSha256: string; generationMs: number; skopeoPushMs: number };
  pack: { wallMs: number; peakRssMb: number };
}

interface PackEnvelope {
  identity: string;
  files: string[];
}

/** Builds and checks the archive of the first `count` benchmark images as `dir`/bench.tar. */
export async function buildBenchArchive(count: number, dir: string): Promise<BenchArchive> {
  const layout = await writeLayout(scratchPath('layout'), SEED, imageSpecs(count));
  const registry = await freshRegistry();
  const cache = scratchPath('pack-cache');
  try {
    const skopeoPushMs = await pushWithSkopeo(layout, registry);
    rmSync(layout.dir, { recursive: true, force: true });
    const base = await pushBaseImage(scratchPath('base'), registry);
    const catalog = await buildBenchCatalog(scratchPath('packages'), 'bench', registry, layout.images, base);
    const { expected, blobBytes } = archiveContents(layout.images, catalog);

    mkdirSync(dir, { recursive: true });
    mkdirSync(cache);
    const packed = await runFerryCommand<PackEnvelope>(['pack', '--catalog', catalog.catalog.ref, '-o', path.join(dir, 'bench.tar'), '--cache-dir', cache]);
    const { files, identity } = packed.envelope.result;
    if (files.length !== 1) throw new Error(`ferry pack wrote ${files.length} files, expected one`);
    const facts = await verifyFerryArchive(files, identity, expected, 'ferry pack (the archive to push)');

    const refOf = new Map(catalog.images.map((i) => [i.digest, i.ref]));
    return {
      file: files[0]!,
      identity,
      images: [...layout.images.map((i) => ({ ...i, name: refOf.get(i.manifest.digest)! })), catalog.image],
      catalog,
      expected,
      blobBytes,
      facts,
      generated: {
        images: layout.images.length,
        distinctLayers: layout.blobs.size - 2 * layout.images.length,
        uniqueBytes: layout.uniqueBytes,
        logicalBytes: layout.logicalBytes,
        manifestsSha256: layout.fingerprint,
        generationMs: Math.round(layout.ms),
        skopeoPushMs: Math.round(skopeoPushMs),
      },
      pack: { wallMs: packed.wallMs, peakRssMb: packed.peakRssMb },
    };
  } finally {
    rmSync(cache, { recursive: true, force: true });
    rmSync(layout.dir, { recursive: true, force: true });
    await stopRegistry(registry);
  }
}
