/**
 * `ferry serve`: an archive (one file, volumes, an extracted folder) served read-only as an OCI
 * registry, checked with skopeo and ferry's own client as independent pullers: every image by
 * digest and by tag with its exact bytes, HEAD, Range, tag lists and the catalog with pagination,
 * the spec's error codes, write methods refused, push's names and source names, a damaged blob
 * never delivered complete, and the CLI's listening line and SIGTERM.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, openSync, readFileSync, readSync, writeSync, closeSync } from 'node:fs';
import { request, type IncomingHttpHeaders } from 'node:http';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { serveArchive, type ServingArchive } from '../src/archive/serve/serve-archive.js';
import type { ServeEvent } from '../src/archive/serve/registry-server.js';
import { mirrorReference } from '../src/mirror/naming.js';
import { readTarIndex } from '../src/oci/archive/tar-index.js';
import { parseReference } from '../src/oci/reference.js';
import { ferry, ferryAsync } from './helpers/cli.js';
import { runChecked } from './helpers/exec.js';
import { FIXTURE_NAMES, sha256Digest, skopeoCopy, skopeoInspectRaw, type FixtureName } from './helpers/fixtures.js';
import { repoRoot, tempDir } from './helpers/paths.js';
import { buildTestArchive, type TestArchive } from './helpers/test-archive.js';

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** The whole announced body arrived and the response ended normally. */
  complete: boolean;
}

/** One HTTP request with node:http (no retries, no redirects): what came back, even when cut short. */
function http(url: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', headers: options.headers ?? {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', () => undefined);
      res.on('close', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), complete: res.complete }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

const json = (a: Answer): any => JSON.parse(a.body.toString('utf8'));
const errorCode = (a: Answer): string => json(a).errors[0].code;

/** The repository and tag push would give `source` (no namespace, default scheme). */
function pushRepository(source: string): { repository: string; tag: string } {
  const ref = mirrorReference(parseReference(source), { to: 'mirror.invalid' });
  return { repository: ref.path, tag: ref.tag! };
}

/** Every blob an image reaches in the fixture layout (manifests, configs, layers). */
function blobsOf(archive: TestArchive, name: FixtureName): string[] {
  const image = archive.layout.images[name];
  const children = image.children ?? [];
  return [image.digest, ...(image.config ? [image.config] : []), ...image.layers, ...children.flatMap((c) => [c.digest, c.config!, ...c.layers])];
}

for (const volumeSize of [undefined, 1024 * 1024]) {
  describe(`serve an archive (${volumeSize ? '1 MiB volumes' : 'one file'})`, () => {
    let archive: TestArchive;
    let serving: ServingArchive;
    let host: string;
    const repo = (name: FixtureName): string => pushRepository(archive.sources[name]).repository;
    const tag = (name: FixtureName): string => pushRepository(archive.sources[name]).tag;
    const v2 = (p: string): string => `${serving.server.url}/v2/${p}`;

    before(async () => {
      archive = await buildTestArchive(volumeSize ? { volumeSize } : {});
      if (volumeSize) assert.ok(archive.files.length > 1, 'the archive has several volumes');
      serving = await serveArchive(archive.first, { port: 0 });
      host = serving.server.address;
    });
    after(() => serving.server.close());

    it('binds 127.0.0.1 by default and names repositories as push does', async () => {
      assert.equal(serving.server.host, '127.0.0.1');
      assert.equal(serving.server.loopback, true);
      assert.equal(repo('app'), 'quay-io-ferry-test-app');
      const catalog = await http(v2('_catalog'));
      assert.equal(catalog.status, 200);
      assert.deepEqual(json(catalog).repositories, FIXTURE_NAMES.map(repo).sort());
      const ping = await http(v2(''));
      assert.equal(ping.status, 200);
      assert.equal(ping.headers['docker-distribution-api-version'], 'registry/2.0');
      assert.deepEqual(json(ping), {});
      assert.deepEqual(serving.served.warnings, []);
    });

    it('skopeo copies every image by digest with the exact manifest bytes, and reads each by tag', async () => {
      for (const name of FIXTURE_NAMES) {
        const image = archive.layout.images[name];
        const out = tempDir();
        const copied = await skopeoCopy(`docker://${host}/${repo(name)}@${image.digest}`, `oci:${out}:x`, { src: { host }, all: true });
        assert.equal(copied, image.digest, name);
        const index = JSON.parse(readFileSync(path.join(out, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string }> };
        assert.equal(index.manifests[0]!.digest, image.digest);
        for (const digest of blobsOf(archive, name)) {
          assert.deepEqual(readFileSync(path.join(out, 'blobs', 'sha256', digest.slice(7))), archive.layout.blob(digest), `${name}: ${digest}`);
        }
        const raw = await skopeoInspectRaw(`docker://${host}/${repo(name)}:${tag(name)}`, { host });
        assert.deepEqual(raw, archive.layout.blob(image.digest), `${name} by tag`);
      }
    });

    it('ferry image copy pulls from it over plain HTTP on loopback', async () => {
      const out = tempDir();
      const r = await ferryAsync(['image', 'copy', `${host}/${repo('multi')}:${tag('multi')}`, `oci:${out}:multi`, '--json']);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.json?.result.digest, archive.layout.images.multi.digest);
      assert.equal(sha256Digest(await skopeoInspectRaw(`oci:${out}:multi`)), archive.layout.images.multi.digest);
    });

    it('HEAD and GET of manifests and blobs carry type, length and digest', async () => {
      const multi = archive.layout.images.multi;
      for (const ref of [tag('multi'), multi.digest]) {
        const head = await http(v2(`${repo('multi')}/manifests/${ref}`), { method: 'HEAD' });
        assert.equal(head.status, 200);
        assert.equal(head.headers['content-type'], 'application/vnd.oci.image.index.v1+json');
        assert.equal(head.headers['docker-content-digest'], multi.digest);
        assert.equal(Number(head.headers['content-length']), multi.size);
        assert.equal(head.headers.etag, `"${multi.digest}"`);
        assert.equal(head.body.length, 0);
      }
      const child = multi.children![1]!;
      const got = await http(v2(`${repo('multi')}/manifests/${child.digest}`));
      assert.equal(got.status, 200);
      assert.equal(got.headers['content-type'], child.mediaType);
      assert.equal(sha256Digest(got.body), child.digest);

      const layer = archive.layout.images.big.layers[0]!;
      const bytes = archive.layout.blob(layer);
      const head = await http(v2(`${repo('big')}/blobs/${layer}`), { method: 'HEAD' });
      assert.equal(head.status, 200);
      assert.equal(Number(head.headers['content-length']), bytes.length);
      assert.equal(head.headers['docker-content-digest'], layer);
      assert.equal(head.headers['accept-ranges'], 'bytes');
      assert.equal(head.body.length, 0);
      const blob = await http(v2(`${repo('big')}/blobs/${layer}`));
      assert.equal(blob.status, 200);
      assert.ok(blob.complete);
      assert.deepEqual(blob.body, bytes);
      // A manifest is a blob too.
      const asBlob = await http(v2(`${repo('multi')}/blobs/${child.digest}`));
      assert.equal(sha256Digest(asBlob.body), child.digest);
    });

    it('answers Range with 206 and the slice, a bad range with 416', async () => {
      const layer = archive.layout.images.big.layers[0]!;
      const bytes = archive.layout.blob(layer);
      const url = v2(`${repo('big')}/blobs/${layer}`);
      const start = 1024 * 1024 - 7; // across a volume boundary with 1 MiB volumes
      const cases: Array<[string, number, number]> = [
        [`bytes=${start}-${start + 99_999}`, start, start + 99_999],
        [`bytes=${bytes.length - 10}-`, bytes.length - 10, bytes.length - 1],
        ['bytes=-4096', bytes.length - 4096, bytes.length - 1],
        [`bytes=5-${bytes.length + 1000}`, 5, bytes.length - 1],
        [`bytes=0-${bytes.length - 1}`, 0, bytes.length - 1],
      ];
      for (const [range, first, last] of cases) {
        const r = await http(url, { headers: { Range: range } });
        assert.equal(r.status, 206, range);
        assert.equal(r.headers['content-range'], `bytes ${first}-${last}/${bytes.length}`, range);
        assert.equal(Number(r.headers['content-length']), last - first + 1, range);
        assert.deepEqual(r.body, bytes.subarray(first, last + 1), range);
      }
      for (const range of [`bytes=${bytes.length}-`, 'bytes=10-5', 'bytes=0-1,5-6', 'bytes=abc', 'bytes=-0']) {
        const r = await http(url, { headers: { Range: range } });
        assert.equal(r.status, 416, range);
        assert.equal(errorCode(r), 'RANGE_INVALID', range);
      }
    });

    it('lists tags and the catalog page by page with Link headers', async () => {
      const names = FIXTURE_NAMES.map(repo).sort();
      const seen: string[] = [];
      let next: string | undefined = '/v2/_catalog?n=3';
      let pages = 0;
      while (next !== undefined) {
        const page = await http(`${serving.server.url}${next}`);
        assert.equal(page.status, 200);
        seen.push(...(json(page).repositories as string[]));
        next = /^<([^>]+)>; rel="next"$/.exec(String(page.headers.link ?? ''))?.[1];
        pages++;
      }
      assert.deepEqual(seen, names);
      assert.equal(pages, 2);
      const afterFirst = await http(v2(`_catalog?last=${names[0]}`));
      assert.deepEqual(json(afterFirst).repositories, names.slice(1));
      assert.equal(afterFirst.headers.link, undefined);

      const tags = await http(v2(`${repo('big')}/tags/list`));
      assert.deepEqual(json(tags), { name: repo('big'), tags: [tag('big')] });
      const limited = await http(v2(`${repo('big')}/tags/list?n=1`));
      assert.deepEqual(json(limited).tags, [tag('big')]);
      assert.equal(limited.headers.link, undefined);
      const past = await http(v2(`${repo('big')}/tags/list?last=${tag('big')}`));
      assert.deepEqual(json(past).tags, []);
      const bad = await http(v2(`${repo('big')}/tags/list?n=-1`));
      assert.equal(bad.status, 400);
      assert.equal(errorCode(bad), 'PAGINATION_NUMBER_INVALID');
    });

    it('answers what it does not hold with 404 and the spec error code, writes with 405', async () => {
      const app = archive.layout.images.app;
      const bigLayer = archive.layout.images.big.layers[0]!;
      const cases: Array<[string, string, number, string]> = [
        ['GET', v2('nothing/here/manifests/v1'), 404, 'NAME_UNKNOWN'],
        ['GET', v2('nothing/tags/list'), 404, 'NAME_UNKNOWN'],
        ['GET', v2(`nothing/blobs/${bigLayer}`), 404, 'NAME_UNKNOWN'],
        ['GET', v2(`${repo('app')}/manifests/no-such-tag`), 404, 'MANIFEST_UNKNOWN'],
        ['GET', v2(`${repo('app')}/manifests/${archive.layout.images.big.digest}`), 404, 'MANIFEST_UNKNOWN'],
        ['GET', v2(`${repo('app')}/manifests/sha256:${'0'.repeat(64)}`), 404, 'MANIFEST_UNKNOWN'],
        // another image's layer is not reachable from this repository
        ['GET', v2(`${repo('app')}/blobs/${bigLayer}`), 404, 'BLOB_UNKNOWN'],
        ['HEAD', v2(`${repo('app')}/blobs/${bigLayer}`), 404, ''],
        ['GET', v2(`${repo('app')}/blobs/sha256:nothex`), 400, 'DIGEST_INVALID'],
        ['PUT', v2(`${repo('app')}/manifests/new`), 405, 'UNSUPPORTED'],
        ['DELETE', v2(`${repo('app')}/manifests/${app.digest}`), 405, 'UNSUPPORTED'],
        ['POST', v2(`${repo('app')}/blobs/uploads/`), 405, 'UNSUPPORTED'],
        ['PATCH', v2(`${repo('app')}/blobs/uploads/x`), 405, 'UNSUPPORTED'],
      ];
      for (const [method, url, status, code] of cases) {
        const r = await http(url, { method, ...(method === 'PUT' ? { body: '{}' } : {}) });
        assert.equal(r.status, status, `${method} ${url}`);
        if (code !== '') assert.equal(errorCode(r), code, `${method} ${url}`);
        assert.equal(r.headers['docker-distribution-api-version'], 'registry/2.0');
      }
      const refused = await http(v2(`${repo('app')}/manifests/new`), { method: 'PUT', body: '{}' });
      assert.equal(refused.headers.allow, 'GET, HEAD');
      // still serving what it holds
      assert.equal((await http(v2(`${repo('app')}/manifests/${app.digest}`))).status, 200);
    });
  });
}

describe('serve: names and inputs', () => {
  let archive: TestArchive;
  before(async () => {
    archive = await buildTestArchive();
  });

  it('--source-names: source repositories (host first) and source tags; digest-only images by digest and FNV tag', async () => {
    const { served, server } = await serveArchive(archive.first, { port: 0, naming: { sourceNames: true } });
    try {
      const catalog = json(await http(`${server.url}/v2/_catalog`)).repositories as string[];
      assert.deepEqual(catalog, ['quay.io/ferry-test/app', 'quay.io/ferry-test/catalog', 'quay.io/ferry-test/multi', 'registry.example.com/team/big']);
      assert.deepEqual(json(await http(`${server.url}/v2/registry.example.com/team/big/tags/list`)).tags, ['2.0']);
      const appTags = json(await http(`${server.url}/v2/quay.io/ferry-test/app/tags/list`)).tags as string[];
      assert.deepEqual(appTags, [pushRepository(archive.sources.app).tag]);
      const raw = await skopeoInspectRaw(`docker://${server.address}/quay.io/ferry-test/catalog:v1`, { host: server.address });
      assert.equal(sha256Digest(raw), archive.layout.images.base.digest);
      const out = tempDir();
      const digest = await skopeoCopy(`docker://${server.address}/quay.io/ferry-test/multi@${archive.layout.images.multi.digest}`, `oci:${out}:m`, { src: { host: server.address }, all: true });
      assert.equal(digest, archive.layout.images.multi.digest);
      assert.equal(served.images.length, 4);
    } finally {
      await server.close();
    }
  });

  it('--namespace and --max-components give the repositories push gives', async () => {
    const { served, server } = await serveArchive(archive.first, { port: 0, naming: { namespace: 'olm/mirror', maxComponents: 3 } });
    try {
      const expected = Object.values(archive.sources)
        .map((s) => mirrorReference(parseReference(s), { to: 'mirror.invalid/olm/mirror', maxComponents: 3 }).path)
        .sort();
      assert.deepEqual(served.repositoryNames, expected);
      assert.ok(expected.every((r) => r.startsWith('olm/mirror/')));
      const big = mirrorReference(parseReference(archive.sources.big), { to: 'mirror.invalid/olm/mirror', maxComponents: 3 });
      const raw = await skopeoInspectRaw(`docker://${server.address}/${big.path}:${big.tag}`, { host: server.address });
      assert.equal(sha256Digest(raw), archive.layout.images.big.digest);
    } finally {
      await server.close();
    }
  });

  it('serves a folder (tar -xf of a single-file archive)', async () => {
    const dir = tempDir();
    await runChecked('tar', ['-xf', archive.first, '-C', dir]);
    assert.ok(existsSync(path.join(dir, 'ferry-volume.json')));
    const { served, server } = await serveArchive(dir, { port: 0 });
    try {
      assert.equal(served.images.length, 4);
      for (const name of FIXTURE_NAMES) {
        const image = archive.layout.images[name];
        const out = tempDir();
        const { repository } = pushRepository(archive.sources[name]);
        const digest = await skopeoCopy(`docker://${server.address}/${repository}@${image.digest}`, `oci:${out}:x`, { src: { host: server.address }, all: true });
        assert.equal(digest, image.digest, name);
      }
    } finally {
      await server.close();
    }
  });

  it('never delivers a damaged blob complete: the transfer is cut, then refused', async () => {
    const damaged = path.join(tempDir(), 'damaged.tar');
    copyFileSync(archive.first, damaged);
    const index = await readTarIndex(damaged);
    const flip = (digest: string, at: number): void => {
      const entry = index.get(`blobs/sha256/${digest.slice(7)}`)!;
      const fd = openSync(damaged, 'r+');
      const byte = Buffer.alloc(1);
      readSync(fd, byte, 0, 1, entry.offset + at);
      byte[0] = byte[0]! ^ 0xff;
      writeSync(fd, byte, 0, 1, entry.offset + at);
      closeSync(fd);
    };
    const bigLayer = archive.layout.images.big.layers[0]!;
    const appLayer = archive.layout.images.app.layers[1]!;
    const bigSize = archive.layout.blob(bigLayer).length;
    flip(bigLayer, Math.floor(bigSize / 2));
    flip(appLayer, 100);

    const events: ServeEvent[] = [];
    const { server } = await serveArchive(damaged, { port: 0, onEvent: (e) => events.push(e) });
    try {
      const bigUrl = `${server.url}/v2/${pushRepository(archive.sources.big).repository}/blobs/${bigLayer}`;
      const cut = await http(bigUrl);
      assert.equal(cut.status, 200);
      assert.equal(Number(cut.headers['content-length']), bigSize);
      assert.equal(cut.complete, false, 'the response never completes');
      assert.ok(cut.body.length < bigSize, `received ${cut.body.length} of ${bigSize} bytes`);
      assert.ok(events.some((e) => e.kind === 'damaged' && e.digest === bigLayer));
      // Known damaged now: refused outright.
      const refused = await http(bigUrl);
      assert.equal(refused.status, 500);
      assert.match(json(refused).errors[0].message, /damaged/);
      // A range of a damaged blob: the whole is checked first, so nothing is sent.
      const appUrl = `${server.url}/v2/${pushRepository(archive.sources.app).repository}/blobs/${appLayer}`;
      const range = await http(appUrl, { headers: { Range: 'bytes=10-20' } });
      assert.equal(range.status, 500);
      // skopeo fails rather than copying it.
      const out = tempDir();
      await assert.rejects(
        skopeoCopy(`docker://${server.address}/${pushRepository(archive.sources.big).repository}:2.0`, `oci:${out}:x`, { src: { host: server.address } }),
        /failed/,
      );
      // Intact images are still served.
      const base = await http(`${server.url}/v2/${pushRepository(archive.sources.base).repository}/blobs/${archive.layout.images.base.layers[0]}`);
      assert.equal(base.status, 200);
      assert.ok(base.complete);
    } finally {
      await server.close();
    }
  });
});

describe('serve: the command', () => {
  let archive: TestArchive;
  before(async () => {
    archive = await buildTestArchive();
  });

  /** Starts `ferry serve`, waits for its listening line (stdout, or stderr with --json). */
  function startCli(args: string[]): Promise<{ address: string; stop: () => Promise<{ status: number | null; stdout: string; stderr: string }> }> {
    const child = spawn(process.execPath, [path.join(repoRoot, 'bin', 'run.js'), 'serve', ...args], { cwd: repoRoot, env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    return new Promise((resolve, reject) => {
      const look = (): void => {
        const m = /listening on http:\/\/(\S+)/.exec(args.includes('--json') ? stderr : stdout);
        if (!m) return;
        resolve({
          address: m[1]!,
          stop: async () => {
            child.kill('SIGTERM');
            const status = await exited;
            return { status, stdout, stderr };
          },
        });
      };
      child.stdout.on('data', (c: Buffer) => {
        stdout += c.toString('utf8');
        look();
      });
      child.stderr.on('data', (c: Buffer) => {
        stderr += c.toString('utf8');
        look();
      });
      void exited.then((code) => reject(new Error(`ferry serve exited ${code} before listening:\n${stderr}`)));
      // A guard against hanging the suite, not a timing assertion.
      setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`ferry serve printed no listening line:\n${stdout}\n${stderr}`));
      }, 120_000).unref();
    });
  }

  it('prints one listening line, serves, and exits 0 on SIGTERM', async () => {
    const cli = await startCli([archive.first, '--listen', '127.0.0.1:0']);
    assert.match(cli.address, /^127\.0\.0\.1:\d+$/);
    const raw = await skopeoInspectRaw(`docker://${cli.address}/quay-io-ferry-test-catalog:v1`, { host: cli.address });
    assert.equal(sha256Digest(raw), archive.layout.images.base.digest);
    const r = await cli.stop();
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, `listening on http://${cli.address}\n`);
    assert.match(r.stderr, /serving 4 images in 4 repositories from /);
  });

  it('--json: the listening line on stderr, one JSON document on stdout; --manifests point at the served names', async () => {
    const manifests = tempDir();
    const cli = await startCli([archive.first, '--listen', '127.0.0.1:0', '--json', '--namespace', 'olm', '--manifests', manifests, '--advertise', 'mirror.lab.example']);
    const got = await http(`http://${cli.address}/v2/olm/quay-io-ferry-test-app/tags/list`);
    assert.equal(got.status, 200);
    const r = await cli.stop();
    assert.equal(r.status, 0, r.stderr);
    const envelope = JSON.parse(r.stdout);
    assert.equal(envelope.status, 'ok');
    assert.equal(envelope.result.listen, cli.address);
    assert.equal(envelope.result.images, 4);
    assert.equal(envelope.result.repositories, 4);
    assert.ok(envelope.result.requests >= 1);
    const port = cli.address.split(':')[1];
    const mapping = readFileSync(path.join(manifests, 'mapping.txt'), 'utf8');
    assert.ok(mapping.includes(`registry.example.com/team/big:2.0=mirror.lab.example:${port}/olm/registry-example-com-team-big:2.0\n`), mapping);
    assert.match(readFileSync(path.join(manifests, 'catalogSource.yaml'), 'utf8'), new RegExp(`image: mirror\\.lab\\.example:${port}/olm/quay-io-ferry-test-catalog:v1`));
    assert.ok(existsSync(path.join(manifests, 'imageDigestMirrorSet.yaml')));
    for (const n of envelope.result.names as Array<{ reference: string }>) assert.ok(n.reference.startsWith(`${cli.address}/olm/`));
  });

  it('refuses bad flags with exit 2 and listens on 127.0.0.1:5000 by default', () => {
    for (const args of [
      ['--listen', '5000'],
      ['--listen', '127.0.0.1:70000'],
      ['--source-names', '--max-components', '2'],
      ['--namespace', 'Bad_NS'],
      ['--advertise', 'x.example'],
      ['--listen', '0.0.0.0:0', '--manifests', tempDir()],
    ]) {
      const r = ferry(['serve', archive.first, ...args]);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    }
    const manifest = JSON.parse(readFileSync(path.join(repoRoot, 'oclif.manifest.json'), 'utf8'));
    assert.equal(manifest.commands.serve.flags.listen.default, '127.0.0.1:5000');
  });

  it('fails with LISTEN (exit 1) when the address is taken', async () => {
    const { server } = await serveArchive(archive.first, { port: 0 });
    try {
      const r = await ferryAsync(['serve', archive.first, '--listen', server.address, '--json']);
      assert.equal(r.status, 1);
      assert.equal(r.json?.error.code, 'LISTEN');
      assert.match(r.json?.error.message, /in use/);
    } finally {
      await server.close();
    }
  });
});
