/**
 * The App Registry client end to end against a local server speaking the protocol (see
 * helpers/app-registry-server.ts), with synthetic operators (helpers/synthetic-app-registry.ts): nested
 * and flattened blobs download, extract and load with loadManifests as expected; pinned releases are
 * taken; wrong or missing tokens, unreachable endpoints, bad digests, escaping tar entries and empty
 * namespaces fail with the right exit codes, never print the token, and leave nothing behind.
 */
import assert from 'node:assert/strict';
import { existsSync, linkSync, lstatSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { create as createTar } from 'tar';
import { downloadAppRegistry, UnsafeEntryError, type AppRegistryProgress } from '../src/catalog/appregistry/index.js';
import { planEntry } from '../src/catalog/appregistry/entry-policy.js';
import { extractTar } from '../src/catalog/appregistry/extract.js';
import { ArchiveError } from '../src/oci/archive/tar-header.js';
import { loadManifests } from '../src/catalog/load.js';
import { ExitCode, FerryError } from '../src/errors.js';
import { IntegrityError } from '../src/oci/digest.js';
import { checkNamespaceDownload, tree, workDir } from './helpers/app-registry-checks.js';
import { startAppRegistryServer, type AppRegistryServer, type ServedPackageSpec, type Tamper } from './helpers/app-registry-server.js';
import { syntheticAppRegistryPackages } from './helpers/synthetic-app-registry.js';
import { expectedSyntheticPackageManifests } from './helpers/synthetic-corpus.js';

async function rejection(promise: Promise<unknown>): Promise<FerryError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof FerryError, `expected a FerryError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the download to fail');
}

function spec(repo: string, tamper?: Tamper): ServedPackageSpec {
  const s = syntheticAppRegistryPackages().find((p) => p.repo === repo);
  assert.ok(s, repo);
  return { ...s, ...(tamper ? { tamper } : {}) };
}

/** A port nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('App Registry download', () => {
  let server: AppRegistryServer;
  before(async () => {
    server = await startAppRegistryServer();
  });
  after(async () => {
    await server.stop();
  });

  it('downloads a namespace of nested and flattened packages that loadManifests loads as expected', async () => {
    await checkNamespaceDownload(server, expectedSyntheticPackageManifests());
  });

  it('keeps flattened files byte for byte, also when their data keys lie beyond the first 64 KiB (CRDs first)', async () => {
    const { dir } = workDir();
    const result = await downloadAppRegistry({ endpoint: server.url, namespace: server.namespace, authToken: server.token!, packages: ['turbo', 'bigcrd'] }, dir);
    const served = (repo: string): string => server.packages.find((p) => p.repo === repo)!.releases[0]!.flattened!;
    assert.equal(readFileSync(path.join(dir, 'turbo', 'bundle.yaml'), 'utf8'), served('turbo'));
    // As served, bigcrd's CRDs (over 64 KiB) come first; the loader still finds the file.
    assert.ok(served('bigcrd').indexOf('clusterServiceVersions:') > 64 * 1024);
    assert.equal(readFileSync(path.join(dir, 'bigcrd', 'bundle.yaml'), 'utf8'), served('bigcrd'));
    const loaded = await loadManifests(result.roots);
    assert.deepEqual(loaded.catalog.packages.map((p) => [p.name, p.bundles.length]), [['bigcrd', 5], ['turbo', 6]]);
  });

  it('takes a pinned release (repo:release) and the default release of an unpinned repository', async () => {
    const { dir } = workDir();
    server.reset();
    const result = await downloadAppRegistry(
      { endpoint: server.url, namespace: server.namespace, authToken: server.token!, packages: ['two-release:0.0.1', 'bucket:1.0.0', 'kv'] },
      dir,
    );
    const digestOf = (repo: string, release: string): string => `sha256:${server.packages.find((p) => p.repo === repo)!.releases.find((r) => r.release === release)!.digest}`;
    assert.deepEqual(
      result.packages.map((p) => [p.name, p.release, p.layout, p.digest]),
      [
        ['kv', '0.9.2', 'nested', digestOf('kv', '0.9.2')],
        ['two-release', '0.0.1', 'nested', digestOf('two-release', '0.0.1')],
        ['bucket', '1.0.0', 'flattened', digestOf('bucket', '1.0.0')],
      ],
    );
    assert.deepEqual(readdirSync(dir).sort(), ['bucket', 'kv', 'two-release']);
    const loaded = await loadManifests(result.roots);
    const summary = Object.fromEntries(loaded.catalog.packages.map((p) => [p.name, { heads: p.channels.map((c) => `${c.name}=${c.head}`), bundles: p.bundles.map((b) => b.name).sort() }]));
    assert.deepEqual(summary, {
      kv: { heads: ['alpha=kv-operator.v0.9.2', 'beta=kv-operator.v0.9.0', 'stable=kv-operator.v0.9.2'], bundles: ['kv-operator.v0.6.1', 'kv-operator.v0.9.0', 'kv-operator.v0.9.2'] },
      bucket: { heads: ['alpha=bucket.v1.0.0'], bundles: ['bucket.v1.0.0'] },
      'two-release': { heads: ['alpha=two-release.v0.0.1'], bundles: ['two-release.v0.0.1'] },
    });
    const releasePaths = server.requests.filter((r) => r.path.endsWith('/helm')).map((r) => r.path);
    assert.deepEqual(releasePaths, [
      `/cnr/api/v1/packages/${server.namespace}/kv/0.9.2/helm`,
      `/cnr/api/v1/packages/${server.namespace}/two-release/0.0.1/helm`,
      `/cnr/api/v1/packages/${server.namespace}/bucket/1.0.0/helm`,
    ]);
  });

  it('fails with exit 5 on a pinned release or a package the namespace does not have, leaving nothing', async () => {
    const { dir } = workDir();
    const noRelease = await rejection(downloadAppRegistry({ endpoint: server.url, namespace: server.namespace, authToken: server.token!, packages: ['kv', 'metrics:9.9.9'] }, dir));
    assert.equal(noRelease.exitCode, ExitCode.notFound);
    assert.match(noRelease.message, /metrics has no release "9\.9\.9" \(releases: 0\.22\.2\)/);
    assert.deepEqual(readdirSync(dir), [], 'kv, downloaded first, is removed again');

    const noPackage = await rejection(downloadAppRegistry({ endpoint: server.url, namespace: server.namespace, authToken: server.token!, packages: ['no-such-operator:1.0.0'] }, dir));
    assert.equal(noPackage.exitCode, ExitCode.notFound);
    assert.match(noPackage.message, /has no package no-such-operator \(it has: kv, metrics/);
    assert.deepEqual(readdirSync(dir), []);
  });

  it('fails with exit 4 on a wrong or missing token, saying to pass --auth-token and never printing the token', async () => {
    const careless = await startAppRegistryServer({ echoAuthorization: true, packages: [spec('kv')] });
    try {
      const { dir } = workDir();
      const wrong = `basic ${Buffer.from('intruder:hunter2-not-the-token').toString('base64')}`;
      const err = await rejection(downloadAppRegistry({ endpoint: careless.url, namespace: careless.namespace, authToken: wrong }, dir));
      assert.equal(err.exitCode, ExitCode.auth);
      assert.equal(err.code, 'AUTH');
      assert.match(err.message, /--auth-token/);
      assert.match(err.message, /token was rejected/);
      assert.ok(err.message.includes(careless.url), 'names the endpoint');
      const text = JSON.stringify({ message: err.message, suggestions: err.suggestions, json: err.toJSON() });
      assert.ok(!text.includes(wrong) && !text.includes(wrong.slice('basic '.length)), `token leaked: ${err.message}`);
      assert.match(err.message, /<redacted>/, 'the echoed token was scrubbed from the server text');
      // The token did go out, verbatim.
      assert.equal(careless.requests[0]!.authorization, wrong);

      const missing = await rejection(downloadAppRegistry({ endpoint: careless.url, namespace: careless.namespace }, dir));
      assert.equal(missing.exitCode, ExitCode.auth);
      assert.match(missing.message, /no auth token was given.*--auth-token/);
      assert.equal(careless.requests[1]!.authorization, undefined);
      assert.deepEqual(readdirSync(dir), []);
    } finally {
      await careless.stop();
    }
  });

  it('fails with a connection error naming the endpoint when nothing listens there', async () => {
    const { dir } = workDir();
    const endpoint = `http://127.0.0.1:${await closedPort()}/cnr`;
    const retries: AppRegistryProgress[] = [];
    const err = await rejection(
      downloadAppRegistry({ endpoint, namespace: 'ops', authToken: 'basic c2VjcmV0OnNlY3JldA==', maxAttempts: 2, onProgress: (e) => retries.push(e) }, dir),
    );
    assert.equal(err.code, 'CONNECTION');
    assert.equal(err.exitCode, ExitCode.failure);
    assert.ok(err.message.includes(`cannot reach App Registry ${endpoint}`), err.message);
    assert.match(err.message, /ECONNREFUSED/);
    assert.ok(!err.message.includes('c2VjcmV0'));
    assert.deepEqual(retries.map((e) => e.type), ['retry'], 'one retry before giving up (maxAttempts 2)');
  });

  it('retries 5xx answers with backoff and then succeeds', async () => {
    const flaky = await startAppRegistryServer({ failFirst: 2, packages: [spec('kv')] });
    try {
      const { dir } = workDir();
      const events: AppRegistryProgress[] = [];
      const result = await downloadAppRegistry({ endpoint: flaky.url, namespace: flaky.namespace, authToken: flaky.token!, onProgress: (e) => events.push(e) }, dir);
      assert.deepEqual(result.packages.map((p) => p.name), ['kv']);
      assert.deepEqual(flaky.requests.map((r) => r.status), [503, 503, 200, 200, 200]);
      assert.deepEqual(events.filter((e) => e.type === 'retry').map((e) => (e as { reason: string }).reason), ['HTTP 503', 'HTTP 503']);
    } finally {
      await flaky.stop();
    }
  });

  it('fails with IntegrityError (exit 6) on a blob that does not match its digest, keeping nothing', async () => {
    const bad = await startAppRegistryServer({ packages: [spec('kv'), spec('turbo', 'bad-digest')] });
    try {
      const { dir } = workDir();
      const err = await rejection(downloadAppRegistry({ endpoint: bad.url, namespace: bad.namespace, authToken: bad.token! }, dir));
      assert.ok(err instanceof IntegrityError, `${err.name}: ${err.message}`);
      assert.equal(err.exitCode, ExitCode.integrity);
      const digest = bad.packages.find((p) => p.repo === 'turbo')!.releases[0]!.digest;
      assert.ok(err.message.includes(`expected sha256:${digest}`), err.message);
      assert.match(err.message, /turbo/);
      assert.deepEqual(readdirSync(dir), [], 'no temp blob, no extracted turbo, and kv (downloaded first) removed');
    } finally {
      await bad.stop();
    }
  });

  describe('refuses blobs whose tar would write outside the package folder (exit 3, nothing written)', () => {
    const cases: { tamper: Tamper; repo: string; reason: RegExp }[] = [
      { tamper: 'escape', repo: 'kv', reason: /has a "\.\." component/ },
      { tamper: 'escape', repo: 'bucket', reason: /has a "\.\." component/ },
      { tamper: 'absolute', repo: 'kv', reason: /is an absolute path/ },
      { tamper: 'symlink', repo: 'kv', reason: /is a link to ".*etc\/passwd", outside the package folder/ },
      { tamper: 'device', repo: 'kv', reason: /is a device \(CharacterDevice\)/ },
    ];
    for (const c of cases) {
      it(`${c.tamper} entry in ${c.repo}`, async () => {
        const evil = await startAppRegistryServer({ packages: [spec('metrics'), spec(c.repo, c.tamper)] });
        try {
          const { parent, dir } = workDir();
          const served = evil.packages.find((p) => p.repo === c.repo)!;
          const err = await rejection(downloadAppRegistry({ endpoint: evil.url, namespace: evil.namespace, authToken: evil.token! }, dir));
          assert.ok(err instanceof UnsafeEntryError, `${err.name}: ${err.message}`);
          assert.equal(err.exitCode, ExitCode.invalidInput);
          assert.ok(err.message.includes(JSON.stringify(served.evilEntry)), `names the entry ${served.evilEntry}: ${err.message}`);
          assert.match(err.message, c.reason);
          assert.match(err.message, new RegExp(`package ${evil.namespace}/${c.repo} release`));
          assert.deepEqual(readdirSync(dir), [], 'the working folder is empty again');
          assert.deepEqual(tree(parent), ['work'], 'nothing was written beside the working folder');
          if (c.tamper === 'absolute') assert.ok(!existsSync(served.evilEntry!), `${served.evilEntry} was not created`);
        } finally {
          await evil.stop();
        }
      });
    }
  });

  it('fails with "no manifests downloaded" (exit 5) for an empty or unknown namespace', async () => {
    const empty = await startAppRegistryServer({ packages: [spec('kv')], emptyNamespaces: ['nothing-here'] });
    try {
      for (const namespace of ['nothing-here', 'never-created']) {
        const { dir } = workDir();
        const err = await rejection(downloadAppRegistry({ endpoint: empty.url, namespace, authToken: empty.token! }, dir));
        assert.equal(err.exitCode, ExitCode.notFound);
        assert.match(err.message, /^no manifests downloaded: /);
        assert.ok(err.message.includes(`namespace "${namespace}"`) && err.message.includes(empty.url), err.message);
        assert.deepEqual(readdirSync(dir), []);
      }
    } finally {
      await empty.stop();
    }
  });

  it('refuses to download into a working folder that already holds a package folder', async () => {
    const { dir } = workDir();
    mkdirSync(path.join(dir, 'kv'));
    const err = await rejection(downloadAppRegistry({ endpoint: server.url, namespace: server.namespace, authToken: server.token!, packages: ['kv'] }, dir));
    assert.equal(err.exitCode, ExitCode.usage);
    assert.match(err.message, /already holds .*kv/);
    assert.deepEqual(tree(dir), ['kv']);
  });
});

describe('App Registry tar entry policy', () => {
  const where = 'blob';
  const refused = (entry: Parameters<typeof planEntry>[0]): string => {
    try {
      planEntry(entry, where);
    } catch (err) {
      assert.ok(err instanceof UnsafeEntryError);
      assert.equal(err.entry, entry.path);
      return err.message;
    }
    return assert.fail(`${entry.path} was accepted`);
  };

  it('accepts plain files and folders, normalizing "./" and repeated slashes', () => {
    assert.deepEqual(planEntry({ path: './etcd//0.9.2/x.yaml', type: 'File', size: 3 }, where), { kind: 'file', path: 'etcd/0.9.2/x.yaml', size: 3 });
    assert.deepEqual(planEntry({ path: 'etcd/', type: 'Directory', size: 0 }, where), { kind: 'dir', path: 'etcd' });
    assert.equal(planEntry({ path: './', type: 'Directory', size: 0 }, where), undefined);
    assert.deepEqual(planEntry({ path: 'etcd/a.yaml', type: 'SymbolicLink', linkpath: '0.9.2/x.yaml', size: 0 }, where), { kind: 'link', path: 'etcd/a.yaml', target: 'etcd/0.9.2/x.yaml' });
    assert.deepEqual(planEntry({ path: 'etcd/b.yaml', type: 'Link', linkpath: 'etcd/0.9.2/x.yaml', size: 0 }, where), { kind: 'link', path: 'etcd/b.yaml', target: 'etcd/0.9.2/x.yaml' });
  });

  it('refuses absolute paths, ".." anywhere, links leaving the folder, devices and FIFOs', () => {
    assert.match(refused({ path: '/etc/cron.d/x', type: 'File', size: 1 }), /absolute path/);
    assert.match(refused({ path: 'C:\\Windows\\x', type: 'File', size: 1 }), /absolute path/);
    assert.match(refused({ path: 'a/../../b', type: 'File', size: 1 }), /"\.\." component/);
    assert.match(refused({ path: 'a\\..\\..\\b', type: 'File', size: 1 }), /"\.\." component/);
    assert.match(refused({ path: 'a/..', type: 'Directory', size: 0 }), /"\.\." component/);
    assert.match(refused({ path: 'a/l', type: 'SymbolicLink', linkpath: '../../x', size: 0 }), /link to "\.\.\/\.\.\/x", outside/);
    assert.match(refused({ path: 'a/l', type: 'SymbolicLink', linkpath: '/etc/passwd', size: 0 }), /absolute path "\/etc\/passwd"/);
    assert.match(refused({ path: 'a/h', type: 'Link', linkpath: 'b/../../x', size: 0 }), /outside the package folder/);
    assert.match(refused({ path: 'a/dev', type: 'BlockDevice', size: 0 }), /is a device/);
    assert.match(refused({ path: 'a/fifo', type: 'FIFO', size: 0 }), /is a FIFO/);
    assert.match(refused({ path: 'a/sparse', type: 'SparseFile', size: 0 }), /unsupported type SparseFile/);
  });
});

describe('App Registry extraction', () => {
  it('writes in-folder symbolic and hard links as copies of their target files (no links on disk)', async () => {
    const { dir } = workDir();
    const src = path.join(dir, 'src', 'pkg', '1.0');
    mkdirSync(src, { recursive: true });
    writeFileSync(path.join(src, 'csv.yaml'), 'kind: ClusterServiceVersion\n');
    symlinkSync('csv.yaml', path.join(src, 'sym.yaml'));
    linkSync(path.join(src, 'csv.yaml'), path.join(src, 'hard.yaml'));
    const archive = path.join(dir, 'blob.tar.gz');
    // Synchronous: tar 7's async create with links now and then throws "write after end" after resolving.
    createTar({ sync: true, gzip: true, file: archive, cwd: path.join(dir, 'src') }, ['pkg']);
    const out = path.join(dir, 'out');
    mkdirSync(out);
    const { files } = await extractTar(archive, out, 'blob');
    // One regular file in the tar (the hard link and the symlink are link entries), three files on disk.
    assert.equal(files.length, 1);
    for (const name of ['csv.yaml', 'sym.yaml', 'hard.yaml']) {
      const f = path.join(out, 'pkg', '1.0', name);
      assert.ok(lstatSync(f).isFile(), `${name} is a plain file`);
      assert.equal(readFileSync(f, 'utf8'), 'kind: ClusterServiceVersion\n');
    }
  });

  it('refuses a link to a folder, and a blob that is not a (gzip) tar, with exit 3', async () => {
    const { dir } = workDir();
    const src = path.join(dir, 'src', 'pkg');
    mkdirSync(path.join(src, 'v1'), { recursive: true });
    writeFileSync(path.join(src, 'v1', 'a.yaml'), 'a: 1\n');
    symlinkSync('v1', path.join(src, 'current'));
    const archive = path.join(dir, 'blob.tar.gz');
    // Synchronous: tar 7's async create with links now and then throws "write after end" after resolving.
    createTar({ sync: true, gzip: true, file: archive, cwd: path.join(dir, 'src') }, ['pkg']);
    mkdirSync(path.join(dir, 'out1'));
    await assert.rejects(extractTar(archive, path.join(dir, 'out1'), 'blob'), (err: unknown) => {
      assert.ok(err instanceof UnsafeEntryError);
      assert.equal(err.exitCode, ExitCode.invalidInput);
      assert.equal(err.entry, 'pkg/current');
      assert.match(err.message, /is a link to "pkg\/v1", which is not a file of the archive/);
      return true;
    });

    const garbage = path.join(dir, 'garbage.tar.gz');
    writeFileSync(garbage, 'this is not a tar\n'.repeat(64));
    mkdirSync(path.join(dir, 'out2'));
    await assert.rejects(extractTar(garbage, path.join(dir, 'out2'), 'blob'), (err: unknown) => {
      assert.ok(err instanceof ArchiveError);
      assert.equal(err.exitCode, ExitCode.invalidInput);
      assert.match(err.message, /^blob: not a readable tar or gzip tar/);
      return true;
    });
  });
});
