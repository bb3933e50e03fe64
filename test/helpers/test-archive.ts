/**
 * A small ferry archive for push, serve and unpack tests, written by pack's writer from the umoci
 * fixture layout with its images renamed to realistic source references (a tag, digests, another
 * registry). The catalog is the `base` fixture with a stand-in database (these tests move images,
 * they do not read the catalog).
 */
import { copyFileSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { archiveManifests } from '../../src/archive/pack/archive-manifests.js';
import type { CollectResult } from '../../src/archive/pack/collect-images.js';
import { writeArchive } from '../../src/archive/pack/write-archive.js';
import { buildFixtureLayout, type FixtureLayout, type FixtureName } from './fixtures.js';
import { tempDir } from './paths.js';

const REF_NAME = 'org.opencontainers.image.ref.name';

export interface TestArchive {
  /** The archive file, or its first volume. */
  first: string;
  files: string[];
  identity: string;
  layout: FixtureLayout;
  /** The source reference each fixture image carries in the archive (base is the catalog). */
  sources: Record<FixtureName, string>;
  /** The source layout (fixture blobs, ref names = `sources`). */
  sourceLayout: string;
}

export interface TestArchiveOptions {
  volumeSize?: number;
  /** PEM of an ed25519 private key. */
  signKey?: string;
  /** Bytes of the `big` fixture's layer (default 8 MiB). */
  bigLayerBytes?: number;
  /** Folder to write into (default: a new temp folder). */
  dir?: string;
}

export async function buildTestArchive(options: TestArchiveOptions = {}): Promise<TestArchive> {
  const layout = await buildFixtureLayout(undefined, options.bigLayerBytes ? { bigLayerBytes: options.bigLayerBytes } : {});
  const sources: Record<FixtureName, string> = {
    base: 'quay.io/ferry-test/catalog:v1',
    app: `quay.io/ferry-test/app@${layout.images.app.digest}`,
    big: 'registry.example.com/team/big:2.0',
    multi: `quay.io/ferry-test/multi@${layout.images.multi.digest}`,
  };
  const sourceLayout = renamedLayout(layout, sources);
  const work = tempDir();
  const database = path.join(work, 'index.db');
  writeFileSync(database, 'a stand-in catalog database\n');
  const image = (name: 'app' | 'big' | 'multi') => ({ source: sources[name], digest: layout.images[name].digest, mediaType: layout.images[name].mediaType, platforms: [], bundles: [`${name}.v1`] });
  const collected: CollectResult = {
    layoutDir: sourceLayout,
    catalog: { source: sources.base, digest: layout.images.base.digest, mediaType: layout.images.base.mediaType, platforms: ['linux/amd64'], bundles: [], kind: 'sqlite', database },
    packages: [{ name: 'demo', defaultChannel: 'stable', channels: [{ name: 'stable', head: 'demo.v1' }], bundles: [{ name: 'demo.v1', version: '1.0.0', bundlePath: 'bundle:1' }] }],
    images: [image('app'), image('big'), image('multi')],
    missing: [],
    invalid: [],
  };
  const dir = options.dir ?? tempDir();
  const written = await writeArchive({
    collected,
    output: path.join(dir, 'demo.tar'),
    ferryVersion: '0.0.0-test',
    manifests: archiveManifests(sources.base, [sources.app, sources.big, sources.multi]).files,
    ...(options.volumeSize ? { volumeSize: options.volumeSize } : {}),
    ...(options.signKey ? { signKey: options.signKey } : {}),
  });
  return { first: written.files[0]!, files: written.files, identity: written.identity, layout, sources, sourceLayout };
}

/** A copy of the fixture layout whose index.json names the images by `sources` (blobs copied). */
function renamedLayout(layout: FixtureLayout, sources: Record<FixtureName, string>): string {
  const dir = path.join(tempDir(), 'layout');
  const blobs = path.join(dir, 'blobs', 'sha256');
  mkdirSync(blobs, { recursive: true });
  for (const name of readdirSync(path.join(layout.dir, 'blobs', 'sha256'))) copyFileSync(path.join(layout.dir, 'blobs', 'sha256', name), path.join(blobs, name));
  copyFileSync(path.join(layout.dir, 'oci-layout'), path.join(dir, 'oci-layout'));
  const index = JSON.parse(readFileSync(path.join(layout.dir, 'index.json'), 'utf8')) as { manifests: Array<{ annotations?: Record<string, string> }> };
  index.manifests = index.manifests.filter((m) => m.annotations?.[REF_NAME] !== undefined && m.annotations[REF_NAME] in sources);
  for (const m of index.manifests) m.annotations![REF_NAME] = sources[m.annotations![REF_NAME] as FixtureName];
  writeFileSync(path.join(dir, 'index.json'), JSON.stringify(index));
  return dir;
}
