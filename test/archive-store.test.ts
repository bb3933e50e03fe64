/**
 * Tar archives as image stores, checked against real tools: umoci builds the images, skopeo writes
 * archives ferry reads and reads the archives ferry writes, GNU tar makes the odd tar formats.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { link, mkdir, open, readdir, readFile, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { ExitCode, FerryError, NotFoundError } from '../src/errors.js';
import { ArchiveReadStore } from '../src/oci/archive/archive-reader.js';
import { createArchive, openArchiveForRead } from '../src/oci/archive/archive-transport.js';
import { ArchiveWriteStore } from '../src/oci/archive/archive-writer.js';
import { encodeTarHeader } from '../src/oci/archive/tar-header.js';
import { openTarMember, readTarIndex } from '../src/oci/archive/tar-index.js';
import { REF_NAME_ANNOTATION, type Descriptor } from '../src/oci/descriptor.js';
import { IntegrityError, sha256Digest } from '../src/oci/digest.js';
import { LayoutStore } from '../src/oci/layout/layout-store.js';
import { parseManifest, type ImageManifest, type RawManifest } from '../src/oci/manifest.js';
import { MediaType } from '../src/oci/media-types.js';
import { blobSourceFrom, type ImageStore } from '../src/oci/store.js';
import { runChecked } from './helpers/exec.js';
import { tempDir } from './helpers/paths.js';

const work = tempDir('ferry-archive-');
after(() => rm(work, { recursive: true, force: true }));

/** The fixture layout: `t` (one layer) and `t2` (t's layer plus one). */
const D = path.join(work, 'D');
let image1: ImageManifest;
let image2: ImageManifest;
let source: LayoutStore;

before(async () => {
  await runChecked('umoci', ['init', '--layout', D]);
  await runChecked('umoci', ['new', '--image', `${D}:t`]);
  const b1 = path.join(work, 'B1');
  await runChecked('umoci', ['unpack', '--rootless', '--image', `${D}:t`, b1]);
  await mkdir(path.join(b1, 'rootfs', 'etc'), { recursive: true });
  await writeFile(path.join(b1, 'rootfs', 'etc', 'hello.txt'), 'hello from ferry\n');
  await writeFile(path.join(b1, 'rootfs', 'data.bin'), pseudoRandom(700_000));
  await runChecked('umoci', ['repack', '--image', `${D}:t`, b1]);
  const b2 = path.join(work, 'B2');
  await runChecked('umoci', ['unpack', '--rootless', '--image', `${D}:t`, b2]);
  await writeFile(path.join(b2, 'rootfs', 'second.txt'), 'the second image\n');
  await runChecked('umoci', ['repack', '--image', `${D}:t2`, b2]);
  source = await LayoutStore.open(D);
  image1 = imageOf(await source.getManifest('', 't'));
  image2 = imageOf(await source.getManifest('', 't2'));
});

describe('fixture', () => {
  it('has two images sharing a base layer', () => {
    assert.equal(image1.layers.length, 1);
    assert.equal(image2.layers.length, 2);
    assert.equal(image2.layers[0]!.digest, image1.layers[0]!.digest);
  });
});

describe('ArchiveWriteStore', () => {
  /** An index over both images (t2 as linux/arm64 first, t as linux/amd64). */
  let multi: RawManifest;

  before(() => {
    const bytes = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.ociIndex,
        manifests: [
          { mediaType: image2.mediaType, digest: image2.digest, size: image2.bytes.length, platform: { architecture: 'arm64', os: 'linux' } },
          { mediaType: image1.mediaType, digest: image1.digest, size: image1.bytes.length, platform: { architecture: 'amd64', os: 'linux' } },
        ],
      }),
    );
    multi = { mediaType: MediaType.ociIndex, digest: sha256Digest(bytes), bytes };
  });

  async function writeArchive(file: string, order: 'forward' | 'reverse'): Promise<void> {
    const store = await createArchive(file);
    const steps = [
      () => copyImage(source, 't', store, 'example.com/ferry/app:v1'),
      () => copyImage(source, 't2', store, 'v2'),
      async () => {
        await store.putManifest('', multi, { tag: 'example.com/ferry/multi:v3' });
      },
    ];
    for (const step of order === 'forward' ? steps : [...steps].reverse()) await step();
    await store.close();
  }

  let archive: string;
  before(async () => {
    archive = path.join(work, 'written', 'images.tar');
    await writeArchive(archive, 'forward');
  });

  it('leaves only the archive behind', async () => {
    assert.deepEqual(await readdir(path.dirname(archive)), ['images.tar']);
  });

  it('writes deterministic, sorted, ustar members with fixed metadata', async () => {
    const again = path.join(work, 'written-again', 'other-name.tar');
    await writeArchive(again, 'reverse');
    const [a, b] = [await readFile(archive), await readFile(again)];
    assert.equal(a.length, b.length);
    assert.ok(a.equals(b), 'the same content twice gives byte-identical tars');

    const listing = await runChecked('tar', ['--numeric-owner', '-tvf', archive], { env: { ...process.env, TZ: 'UTC' } });
    const lines = listing.stdout.trim().split('\n');
    const names = lines.map((l) => l.split(/\s+/).pop()!);
    const blobs = [image1.config, image1.layers[0]!, image2.config, image2.layers[1]!, image1, image2, multi].map((d) => `blobs/sha256/${d.digest.slice(7)}`).sort();
    assert.deepEqual(names, ['blobs/', 'blobs/sha256/', ...blobs, 'index.json', 'manifest.json', 'oci-layout']);
    for (const line of lines) assert.match(line, /^(-rw-r--r-- 0\/0 .* 1970-01-01 00:00 (blobs\/sha256\/[0-9a-f]{64}|index\.json|manifest\.json|oci-layout)|drwxr-xr-x 0\/0 +0 1970-01-01 00:00 blobs\/(sha256\/)?)$/);
    // No pax headers (no atime/ctime records) and no user names: every header is plain ustar.
    const index = await readTarIndex(archive);
    for (const entry of index.entries) {
      const header = Buffer.alloc(512);
      const handle = await open(archive, 'r');
      await handle.read(header, 0, 512, entry.offset - 512);
      await handle.close();
      assert.equal(header.subarray(257, 263).toString('latin1'), 'ustar\0');
      assert.equal(header.subarray(265, 329).toString('latin1').replace(/\0/g, ''), '', 'no uname/gname');
      assert.ok(['0', '5'].includes(String.fromCharCode(header[156]!)));
    }
  });

  it('is read by skopeo as oci-archive:FILE:REF with the source digests', async () => {
    for (const [ref, digest] of [
      ['example.com/ferry/app:v1', image1.digest],
      ['v2', image2.digest],
      ['example.com/ferry/multi:v3', multi.digest],
    ] as const) {
      const raw = await runRaw(['inspect', '--raw', `oci-archive:${archive}:${ref}`]);
      assert.equal(sha256Digest(raw), digest, ref);
    }
    const out = path.join(work, 'from-ours');
    await runChecked('skopeo', ['copy', `oci-archive:${archive}:v2`, `oci:${out}:v2`]);
    const copied = await (await LayoutStore.open(out)).getManifest('', 'v2');
    assert.equal(copied.digest, image2.digest);
  });

  it('carries a docker manifest.json: one entry per image, amd64 picked from the index, repo:tag names only', async () => {
    const index = await readTarIndex(archive);
    const entry = index.resolve('manifest.json')!;
    const docker = JSON.parse((await collect(openTarMember(archive, entry))).toString('utf8')) as { Config: string; RepoTags: string[]; Layers: string[] }[];
    const blobPath = (d: Descriptor) => `blobs/sha256/${d.digest.slice(7)}`;
    assert.deepEqual(docker, [
      { Config: blobPath(image1.config), RepoTags: ['example.com/ferry/app:v1', 'example.com/ferry/multi:v3'], Layers: image1.layers.map(blobPath) },
      { Config: blobPath(image2.config), RepoTags: [], Layers: image2.layers.map(blobPath) },
    ]);
    for (const item of docker) for (const p of [item.Config, ...item.Layers]) assert.equal(index.resolve(p)?.type, 'file', p);
  });

  it('is read by skopeo as docker-archive:FILE', async () => {
    const config1 = JSON.parse((await collect(await source.getBlob('', image1.config))).toString('utf8')) as { rootfs: { diff_ids: string[] } };
    assert.equal(config1.rootfs.diff_ids.length, 1);
    const inspected = JSON.parse((await runChecked('skopeo', ['inspect', `docker-archive:${archive}:example.com/ferry/multi:v3`])).stdout) as { Layers: string[]; RepoTags: string[] };
    assert.deepEqual(inspected.Layers, config1.rootfs.diff_ids, 'skopeo reports the layers by their diff IDs');
    const out = path.join(work, 'from-ours-docker');
    await runChecked('skopeo', ['copy', `docker-archive:${archive}:@1`, `oci:${out}:x`]);
    const copiedStore = await LayoutStore.open(out);
    const copied = imageOf(await copiedStore.getManifest('', 'x'));
    const configOf = async (store: ImageStore, d: Descriptor) => JSON.parse((await collect(await store.getBlob('', d))).toString('utf8')) as { rootfs: { diff_ids: string[] } };
    // skopeo rewrites the config when it converts to OCI; the layers are what identify the image.
    assert.deepEqual((await configOf(copiedStore, copied.config)).rootfs.diff_ids, (await configOf(source, image2.config)).rootfs.diff_ids, '@1 is the untagged second image');
    assert.equal(copied.layers.length, 2);
  });

  it('reads back with ArchiveReadStore as OCI (auto) and as docker', async () => {
    const oci = await openArchiveForRead(archive);
    try {
      assert.equal(oci.format, 'oci');
      assert.deepEqual(await oci.listTags(''), ['example.com/ferry/app:v1', 'example.com/ferry/multi:v3', 'v2']);
      assert.equal((await oci.getManifest('', 'example.com/ferry/multi:v3')).digest, multi.digest);
      assert.equal((await oci.getManifest('', image2.digest)).digest, image2.digest, 'a child manifest by digest');
    } finally {
      await oci.close();
    }
    const docker = await openArchiveForRead(archive, 'docker');
    try {
      assert.equal(docker.description, `docker-archive:${archive}`);
      const m = imageOf(await docker.getManifest('', 'example.com/ferry/app:v1'));
      assert.equal(m.mediaType, MediaType.dockerManifest);
      assert.equal(m.config.digest, image1.config.digest);
      assert.deepEqual(m.layers.map((l) => [l.digest, l.size, l.mediaType]), image1.layers.map((l) => [l.digest, l.size, MediaType.dockerLayerGzip]));
      assert.equal(imageOf(await docker.getManifest('', '@1')).config.digest, image2.config.digest);
    } finally {
      await docker.close();
    }
  });

  it('lists in manifest.json only images whose blobs are all present', async () => {
    const file = path.join(work, 'partial', 'p.tar');
    const store = await ArchiveWriteStore.create(file);
    await copyImage(source, 't', store, 'example.com/a:1');
    // t2 without its own layer: config and manifest only.
    await store.putBlob('', image2.config, blobSourceFrom(source, '', image2.config));
    await store.putManifest('', image2, { tag: 'example.com/b:2' });
    await store.close();
    const reader = await ArchiveReadStore.open(file, 'docker');
    try {
      assert.equal(reader.dockerImages.length, 1);
      assert.deepEqual(reader.dockerImages[0]!.repoTags, ['example.com/a:1']);
    } finally {
      await reader.close();
    }
    const oci = await ArchiveReadStore.open(file);
    try {
      assert.deepEqual(await oci.listTags(''), ['example.com/a:1', 'example.com/b:2'], 'index.json still names both');
      assert.equal(await oci.hasBlob('', image2.layers[1]!), false);
    } finally {
      await oci.close();
    }
  });
});

describe('ArchiveReadStore on archives skopeo wrote', () => {
  let ociTar: string;
  let dockerTar: string;
  before(async () => {
    ociTar = path.join(work, 'skopeo', 'A.tar');
    dockerTar = path.join(work, 'skopeo', 'B.tar');
    await mkdir(path.dirname(ociTar), { recursive: true });
    await runChecked('skopeo', ['copy', `oci:${D}:t`, `oci-archive:${ociTar}:t`]);
    await runChecked('skopeo', ['copy', `oci:${D}:t`, `docker-archive:${dockerTar}:example.com/x:t`]);
  });

  it('oci-archive: manifests by name, digest and sole image; every blob verified', async () => {
    const store = await ArchiveReadStore.open(ociTar, 'auto');
    try {
      assert.equal(store.format, 'oci');
      assert.equal(store.description, `oci-archive:${ociTar}`);
      assert.equal(store.key, store.description);
      const skopeoDigest = sha256Digest(await runRaw(['inspect', '--raw', `oci-archive:${ociTar}:t`]));
      const m = await store.getManifest('', 't');
      assert.equal(m.digest, skopeoDigest);
      assert.equal(m.digest, image1.digest);
      assert.equal((await store.getManifest('', '')).digest, m.digest);
      assert.equal((await store.getManifest('', m.digest)).digest, m.digest);
      assert.deepEqual(await store.headManifest('', 't'), { mediaType: MediaType.ociManifest, digest: m.digest, size: m.bytes.length, annotations: { [REF_NAME_ANNOTATION]: 't' } });
      assert.equal(await store.headManifest('', 'nope'), undefined);
      await assert.rejects(store.getManifest('', 'nope'), NotFoundError);
      assert.deepEqual(await store.listTags(''), ['t']);
      await assertBlobsStream(store, imageOf(m));
      const layer = imageOf(m).layers[0]!;
      const whole = await collect(await store.getBlob('', layer));
      assert.ok((await collect(await store.getBlobFrom('', layer, 1000))).equals(whole.subarray(1000)));
      assert.equal((await collect(await store.getBlobFrom('', layer, layer.size))).length, 0);
      await assert.rejects(store.putBlob('', image1.config), (e: unknown) => e instanceof FerryError && e.code === 'READ_ONLY');
      await assert.rejects(store.putManifest('', image1), (e: unknown) => e instanceof FerryError && e.code === 'READ_ONLY');
      await assert.rejects(store.getBlob('', { ...layer, digest: `sha256:${'0'.repeat(64)}` }), NotFoundError);
    } finally {
      await store.close();
    }
    await assert.rejects(store.getManifest('', 't'), (e: unknown) => e instanceof FerryError && e.code === 'CLOSED');
  });

  it('docker-archive: a synthesized schema 2 manifest, equal to skopeo\'s but for the honest layer media type', async () => {
    const store = await openArchiveForRead(dockerTar);
    try {
      assert.equal(store.format, 'docker');
      assert.equal(store.description, `docker-archive:${dockerTar}`);
      const m = await store.getManifest('', 'example.com/x:t');
      assert.equal((await store.getManifest('', '')).digest, m.digest);
      assert.equal((await store.getManifest('', '@0')).digest, m.digest);
      assert.equal((await store.getManifest('', m.digest)).digest, m.digest);
      assert.deepEqual(await store.listTags(''), ['example.com/x:t']);
      const ours = imageOf(m);
      assert.equal(ours.mediaType, MediaType.dockerManifest);
      assert.equal(ours.config.mediaType, MediaType.dockerConfig);
      assert.equal(ours.config.digest, image1.config.digest, 'skopeo keeps the config bytes');
      // skopeo stored the layer uncompressed: our descriptor says so.
      assert.equal(ours.layers[0]!.mediaType, MediaType.dockerLayerTar);

      const skopeoRaw = await runRaw(['inspect', '--raw', `docker-archive:${dockerTar}`]);
      const theirs = imageOf({ mediaType: MediaType.dockerManifest, digest: sha256Digest(skopeoRaw), bytes: skopeoRaw });
      assert.deepEqual(ours.config, theirs.config);
      assert.deepEqual(ours.layers.map((l) => [l.digest, l.size]), theirs.layers.map((l) => [l.digest, l.size]));
      // skopeo labels every docker-archive layer tar.gzip, compressed or not; with its label our
      // serialization is byte-for-byte skopeo's.
      const relabelled = JSON.parse(m.bytes.toString('utf8')) as { layers: { mediaType: string }[] };
      for (const l of relabelled.layers) l.mediaType = MediaType.dockerLayerGzip;
      assert.ok(Buffer.from(JSON.stringify(relabelled)).equals(skopeoRaw));
      assert.notEqual(m.digest, theirs.digest);

      await assertBlobsStream(store, ours);
      const streamed = await collect(await store.getBlob('', { mediaType: m.mediaType, digest: m.digest, size: m.bytes.length }));
      assert.ok(streamed.equals(m.bytes), 'the synthesized manifest is a blob too');
    } finally {
      await store.close();
    }
  });

  it('old docker save layout: <id>/layer.tar symlinks, ./ prefixes, short RepoTags', async () => {
    const tree = path.join(work, 'old-save');
    await mkdir(tree);
    await runChecked('tar', ['-xf', dockerTar, '-C', tree]);
    const index = await readTarIndex(dockerTar);
    const links = index.entries.filter((e) => e.type === 'symlink');
    assert.ok(links.length > 0 && links.every((l) => l.name.endsWith('/layer.tar')), 'skopeo writes <id>/layer.tar symlinks');
    const manifest = JSON.parse(await readFile(path.join(tree, 'manifest.json'), 'utf8')) as { Layers: string[]; RepoTags: string[] }[];
    manifest[0]!.Layers = links.map((l) => l.name);
    manifest[0]!.RepoTags = ['busybox:latest'];
    await writeFile(path.join(tree, 'manifest.json'), JSON.stringify(manifest));
    const oldTar = path.join(work, 'old-save.tar');
    await runChecked('tar', ['-cf', oldTar, '-C', tree, '.']);

    const reference = await ArchiveReadStore.open(dockerTar);
    const store = await ArchiveReadStore.open(oldTar, 'docker');
    try {
      assert.ok(store.members.entries.every((e) => !e.name.startsWith('./')));
      assert.equal(store.members.resolve(links[0]!.name)?.type, 'file');
      const m = await store.getManifest('', 'docker.io/library/busybox:latest');
      assert.equal(m.digest, (await reference.getManifest('', '')).digest, 'the same image through the symlinks');
      assert.equal((await store.getManifest('', 'busybox')).digest, m.digest);
      await assertBlobsStream(store, imageOf(m));
    } finally {
      await store.close();
      await reference.close();
    }
  });

  it('refuses the wrong kind and things that are not image archives', async () => {
    await assert.rejects(ArchiveReadStore.open(dockerTar, 'oci'), (e: unknown) => e instanceof FerryError && e.code === 'INVALID_ARCHIVE' && /docker-archive/.test(e.message));
    await assert.rejects(ArchiveReadStore.open(ociTar, 'docker'), (e: unknown) => e instanceof FerryError && e.code === 'INVALID_ARCHIVE');
    await assert.rejects(ArchiveReadStore.open(path.join(work, 'missing.tar')), NotFoundError);
    const text = path.join(work, 'not-a-tar.txt');
    await writeFile(text, 'hello\n'.repeat(200));
    await assert.rejects(ArchiveReadStore.open(text), (e: unknown) => e instanceof FerryError && e.code === 'INVALID_ARCHIVE' && e.exitCode === ExitCode.invalidInput);
  });
});

describe('tar index', () => {
  const tree = path.join(work, 'tree');
  const longDir = `dir-${'d'.repeat(60)}/sub-${'s'.repeat(40)}`;
  const longFile = `${longDir}/file-${'f'.repeat(80)}.txt`; // over 100 bytes, every part under 100
  const hugeName = `n${'x'.repeat(150)}.bin`; // one component over 100 bytes: GNU L or pax only
  const longTarget = `../../${longFile}`; // relative to the link's folder, over 100 bytes
  const contents = new Map<string, Buffer>();

  before(async () => {
    await mkdir(path.join(tree, longDir), { recursive: true });
    contents.set(longFile, Buffer.from('long-named content\n'));
    contents.set(hugeName, pseudoRandom(5000));
    contents.set('empty', Buffer.alloc(0));
    for (const [name, data] of contents) await writeFile(path.join(tree, name), data);
    await symlink(`${longDir}/file-${'f'.repeat(80)}.txt`, path.join(tree, 'link'));
    await symlink(longTarget, path.join(tree, `${longDir}/long-link`));
    await symlink('empty', path.join(tree, 'short-link'));
    await link(path.join(tree, hugeName), path.join(tree, 'hard'));
  });

  for (const format of ['gnu', 'pax', 'ustar'] as const) {
    it(`reads GNU tar --format=${format}`, async () => {
      const file = path.join(work, `tree-${format}.tar`);
      const members = format === 'ustar' ? [longFile, 'short-link', 'empty'] : [longFile, hugeName, 'hard', 'link', `${longDir}/long-link`, 'short-link', 'empty'];
      await runChecked('tar', [`--format=${format}`, '-cf', file, '-C', tree, ...members]);
      const raw = await readFile(file);
      if (format === 'gnu') assert.ok(raw.includes('././@LongLink'), 'GNU long names in use');
      if (format === 'pax') assert.ok(raw.includes(`path=${hugeName}`), 'pax path records in use');
      if (format === 'ustar') assert.ok(raw.includes(`sub-${'s'.repeat(40)}`) && !raw.includes('@LongLink') && !raw.includes('path='), 'ustar prefix in use');

      const index = await readTarIndex(file);
      for (const name of members) assert.ok(index.get(name), `${name} is listed`);
      assert.ok(index.entries.every((e) => e.offset % 512 === 0));
      const handle = await open(file, 'r');
      try {
        for (const [name, data] of contents) {
          if (!members.includes(name)) continue;
          const entry = index.get(name)!;
          assert.equal(entry.type, 'file');
          assert.equal(entry.size, data.length);
          assert.ok((await collect(openTarMember(file, entry))).equals(data), `${name} by path`);
          assert.ok((await collect(openTarMember(handle, entry))).equals(data), `${name} by handle`);
        }
        assert.equal(index.get('short-link')?.type, 'symlink');
        assert.equal(index.resolve('short-link'), index.get('empty'));
        if (format !== 'ustar') {
          assert.equal(index.resolve('link'), index.get(longFile));
          assert.equal(index.get('hard')?.type, 'hardlink');
          assert.equal(index.resolve('hard'), index.get(hugeName));
          assert.equal(index.get(`${longDir}/long-link`)?.linkname, longTarget, 'long link target');
          assert.equal(index.resolve(`${longDir}/long-link`), index.get(longFile));
        }
      } finally {
        await handle.close();
      }
    });
  }

  it('resolves through a symlinked folder and refuses links leaving the archive', async () => {
    const t = path.join(work, 'links');
    await mkdir(path.join(t, 'real'), { recursive: true });
    await writeFile(path.join(t, 'real', 'f'), 'x');
    await symlink('real', path.join(t, 'alias'));
    await symlink('../../etc/passwd', path.join(t, 'escape'));
    const file = path.join(work, 'links.tar');
    await runChecked('tar', ['-cf', file, '-C', t, 'real', 'alias', 'escape']);
    const index = await readTarIndex(file);
    assert.equal(index.resolve('alias/f'), index.get('real/f'));
    assert.equal(index.resolve('escape'), undefined);
    assert.equal(index.resolve('nothing'), undefined);
  });

  it('skips a pax global header (git archive writes one)', async () => {
    const repo = path.join(work, 'git-repo');
    await mkdir(repo);
    const git = (...args: string[]) => runChecked('git', ['-c', 'user.name=ferry', '-c', 'user.email=ferry@example.com', '-c', 'init.defaultBranch=main', '-C', repo, ...args]);
    await git('init', '-q');
    await writeFile(path.join(repo, 'a.txt'), 'from git\n');
    await git('add', 'a.txt');
    await git('commit', '-q', '-m', 'one');
    const file = path.join(work, 'git.tar');
    await git('archive', '--format=tar', '-o', file, 'HEAD');
    const raw = await readFile(file);
    assert.equal(String.fromCharCode(raw[156]!), 'g', 'the first header is a pax global header');
    const index = await readTarIndex(file);
    assert.deepEqual(index.entries.map((e) => [e.name, e.type]), [['a.txt', 'file']]);
    assert.equal((await collect(openTarMember(file, index.get('a.txt')!))).toString(), 'from git\n');
  });

  it('refuses a gzip-compressed archive with a clear message', async () => {
    const file = path.join(work, 'tree.tar.gz');
    await runChecked('tar', ['-czf', file, '-C', tree, 'empty']);
    for (const attempt of [() => readTarIndex(file), () => ArchiveReadStore.open(file)]) {
      await assert.rejects(attempt(), (e: unknown) => e instanceof FerryError && e.code === 'UNSUPPORTED_ARCHIVE' && e.exitCode === ExitCode.invalidInput && /gzip.*decompress/.test(e.message));
    }
  });

  it('reads base-256 sizes (a 9 GiB member, as a sparse file) the way GNU tar does', async () => {
    const file = path.join(work, 'big.tar');
    const size = 9 * 1024 ** 3;
    await writeFile(file, encodeTarHeader({ name: 'big.bin', type: 'file', size, mode: 0o644 }));
    await truncate(file, 512 + size + 1024); // data and end-of-archive blocks are holes
    const listing = await runChecked('tar', ['-tvf', file]);
    assert.match(listing.stdout, new RegExp(`\\b${size}\\b.*big\\.bin`));
    const index = await readTarIndex(file);
    assert.deepEqual(index.entries, [{ name: 'big.bin', size, offset: 512, type: 'file' }]);
  });

  it('refuses a truncated archive', async () => {
    const file = path.join(work, `tree-gnu.tar`);
    const cut = path.join(work, 'cut.tar');
    const raw = await readFile(file);
    await writeFile(cut, raw.subarray(0, 2048 + 100));
    await assert.rejects(readTarIndex(cut), (e: unknown) => e instanceof FerryError && e.code === 'INVALID_ARCHIVE' && /truncated/.test(e.message));
  });
});

describe('corruption', () => {
  it('a flipped byte in a blob member fails getBlob at its end with IntegrityError (exit 6)', async () => {
    const file = path.join(work, 'corrupt.tar');
    await runChecked('skopeo', ['copy', `oci:${D}:t`, `oci-archive:${file}:t`]);
    const layer = image1.layers[0]!;
    const index = await readTarIndex(file);
    const layerEntry = index.get(`blobs/sha256/${layer.digest.slice(7)}`)!;
    const manifestEntry = index.get(`blobs/sha256/${image1.digest.slice(7)}`)!;
    await flipByte(file, layerEntry.offset + Math.floor(layerEntry.size / 2));

    const store = await ArchiveReadStore.open(file);
    try {
      const stream = await store.getBlob('', layer);
      let received = 0;
      await assert.rejects(
        (async () => {
          for await (const chunk of stream) received += (chunk as Buffer).length;
        })(),
        (e: unknown) => e instanceof IntegrityError && e.exitCode === ExitCode.integrity && e.exitCode === 6,
      );
      assert.equal(received, layer.size, 'every byte went by before the error');
      // The unverified range read still serves the bytes (the caller verifies the whole).
      assert.equal((await collect(await store.getBlobFrom('', layer, 0))).length, layer.size);
      await assertBlobsStream(store, image1, [layer.digest]);
    } finally {
      await store.close();
    }

    await flipByte(file, manifestEntry.offset + 10);
    const again = await ArchiveReadStore.open(file);
    try {
      await assert.rejects(again.getManifest('', 't'), IntegrityError);
    } finally {
      await again.close();
    }
  });
});

describe('writer failures', () => {
  const dir = path.join(work, 'failures');
  const target = path.join(dir, 'out.tar');
  const previous = 'the previous archive\n';

  before(async () => {
    await mkdir(dir, { recursive: true });
  });

  it('a bad staged blob fails close(): no temp files, the existing target untouched', async () => {
    await writeFile(target, previous);
    const store = await ArchiveWriteStore.create(target);
    assert.equal(store.description, `oci-archive:${target}`);
    assert.equal(path.dirname(store.stagingDir), dir);
    await copyImage(source, 't', store, 'example.com/a:1');
    await flipByte(path.join(store.stagingDir, 'blobs', 'sha256', image1.layers[0]!.digest.slice(7)), 100);
    await assert.rejects(store.close(), IntegrityError);
    assert.equal(await readFile(target, 'utf8'), previous);
    assert.deepEqual(await readdir(dir), ['out.tar']);
    await assert.rejects(store.putManifest('', image1, { tag: 'x' }), (e: unknown) => e instanceof FerryError && e.code === 'CLOSED');
  });

  it('a cancelled close() leaves nothing behind', async () => {
    await writeFile(target, previous);
    const store = await ArchiveWriteStore.create(target);
    await copyImage(source, 't', store, 'example.com/a:1');
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(store.close({ signal: controller.signal }), (e: unknown) => (e as Error).name === 'AbortError');
    assert.equal(await readFile(target, 'utf8'), previous);
    assert.deepEqual(await readdir(dir), ['out.tar']);
  });

  it('abort() discards the staging folder and keeps the target', async () => {
    await writeFile(target, previous);
    const store = await ArchiveWriteStore.create(target);
    await copyImage(source, 't', store, 'example.com/a:1');
    assert.equal((await readdir(dir)).length, 2, 'staging folder beside the target');
    await store.abort();
    assert.equal(await readFile(target, 'utf8'), previous);
    assert.deepEqual(await readdir(dir), ['out.tar']);
  });

  it('a successful close() replaces the existing target', async () => {
    await writeFile(target, previous);
    const store = await ArchiveWriteStore.create(target);
    await copyImage(source, 't', store, 'example.com/a:1');
    await store.close();
    await store.close(); // a second close is a no-op
    assert.deepEqual(await readdir(dir), ['out.tar']);
    const reader = await ArchiveReadStore.open(target);
    try {
      assert.equal((await reader.getManifest('', 'example.com/a:1')).digest, image1.digest);
    } finally {
      await reader.close();
    }
  });
});

// ---------------------------------------------------------------------------------------------

/** The test's own minimal copy of one image (config and layers, then the manifest with a tag). */
async function copyImage(from: ImageStore, reference: string, to: ImageStore, tag: string): Promise<void> {
  const manifest = await from.getManifest('', reference);
  const image = imageOf(manifest);
  for (const blob of [image.config, ...image.layers]) await to.putBlob('', blob, blobSourceFrom(from, '', blob));
  await to.putManifest('', manifest, { tag });
}

function imageOf(raw: RawManifest): ImageManifest {
  const parsed = parseManifest(raw.bytes, raw.mediaType, 'test');
  assert.equal(parsed.kind, 'image');
  return parsed as ImageManifest;
}

/** Streams config and every layer through getBlob to its end and checks the bytes' digest. */
async function assertBlobsStream(store: ImageStore, image: ImageManifest, skip: string[] = []): Promise<void> {
  for (const blob of [image.config, ...image.layers]) {
    if (skip.includes(blob.digest)) continue;
    assert.equal(await store.hasBlob('', blob), true);
    const bytes = await collect(await store.getBlob('', blob));
    assert.equal(bytes.length, blob.size);
    assert.equal(sha256Digest(bytes), blob.digest);
  }
}

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** skopeo's stdout as bytes (inspect --raw output must not be re-encoded). */
async function runRaw(args: string[]): Promise<Buffer> {
  const { spawn } = await import('node:child_process');
  return new Promise((resolve, reject) => {
    const child = spawn('skopeo', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(Buffer.concat(out)) : reject(new Error(`skopeo ${args.join(' ')} exited ${code}: ${Buffer.concat(err).toString()}`))));
  });
}

async function flipByte(file: string, at: number): Promise<void> {
  const handle = await open(file, 'r+');
  try {
    const b = Buffer.alloc(1);
    await handle.read(b, 0, 1, at);
    b[0] = b[0]! ^ 0xff;
    await handle.write(b, 0, 1, at);
  } finally {
    await handle.close();
  }
}

/** Incompressible but reproducible bytes. */
function pseudoRandom(size: number): Buffer {
  const out = Buffer.alloc(size);
  let block = createHash('sha256').update('ferry').digest();
  for (let i = 0; i < size; i += block.length) {
    block.copy(out, i);
    block = createHash('sha256').update(block).digest();
  }
  return out;
}
