/**
 * ferry image copy / mirror / inspect against the real Debian docker-registry (open, htpasswd,
 * token, TLS), with fixtures built by umoci and checked by skopeo.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ferryAsync } from './helpers/cli.js';
import { runChecked } from './helpers/exec.js';
import { buildFixtureLayout, pushFixtures, sha256Digest, skopeoCopy, skopeoInspectRaw, type FixtureLayout } from './helpers/fixtures.js';
import { startRegistry, type TestRegistry } from './helpers/registry.js';
import { tempDir } from './helpers/paths.js';

let layout: FixtureLayout;
let open: TestRegistry;
const started: TestRegistry[] = [];

before(async () => {
  layout = await buildFixtureLayout();
  open = await startRegistry({ auth: 'none' });
  started.push(open);
});

after(async () => {
  await Promise.all(started.map((r) => r.stop()));
});

async function registry(options: Parameters<typeof startRegistry>[0]): Promise<TestRegistry> {
  const r = await startRegistry(options);
  started.push(r);
  return r;
}

/** Every file under dir (relative), to prove nothing half-written was left. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)));
}

describe('open registry', () => {
  test('layout → registry → layout: digests unchanged, skopeo agrees', async () => {
    for (const name of ['base', 'app', 'multi'] as const) {
      const fixture = layout.images[name];
      const pushed = await ferryAsync(['image', 'copy', fixture.layoutRef, `docker://${open.host}/one/${name}:1.0`, '--json']);
      assert.equal(pushed.status, 0, pushed.stderr);
      assert.equal(pushed.json?.result.digest, fixture.digest);
      const raw = await skopeoInspectRaw(`docker://${open.host}/one/${name}:1.0`, open);
      assert.equal(sha256Digest(raw), fixture.digest, `${name}: skopeo reads the same bytes`);
    }
    const out = tempDir();
    const pulled = await ferryAsync(['image', 'copy', `docker://${open.host}/one/multi:1.0`, `oci:${out}:multi`, '--json']);
    assert.equal(pulled.status, 0, pulled.stderr);
    assert.deepEqual(pulled.json?.result.platforms, ['linux/amd64', 'linux/arm64']);
    assert.equal(sha256Digest(await skopeoInspectRaw(`oci:${out}:multi`)), layout.images.multi.digest);
    // skopeo copies every platform out of ferry's layout with digests preserved.
    const again = tempDir();
    const digest = await skopeoCopy(`oci:${out}:multi`, `oci:${again}:m`, { all: true });
    assert.equal(digest, layout.images.multi.digest);
    assert.deepEqual(filesUnder(out).filter((f) => f.endsWith('.tmp')), []);
  });

  test('a second copy moves nothing; same registry mounts across repositories', async () => {
    await pushFixtures(layout, open, 'two', { names: ['app'] });
    const again = await ferryAsync(['image', 'copy', `${open.host}/two/app:1.0`, `${open.host}/two/app:copy`, '--json']);
    assert.equal(again.status, 0, again.stderr);
    assert.equal(again.json?.result.blobs.copied, 0);
    const mounted = await ferryAsync(['image', 'copy', `${open.host}/two/app:1.0`, `${open.host}/three/app:1.0`, '--json']);
    assert.equal(mounted.status, 0, mounted.stderr);
    assert.deepEqual(mounted.json?.result.blobs, { copied: 0, mounted: 3, skipped: 0, bytes: 0 });
  });

  test('--platform picks one platform of an index named by tag', async () => {
    await pushFixtures(layout, open, 'plat', { names: ['multi'] });
    const out = tempDir();
    const r = await ferryAsync(['image', 'copy', `${open.host}/plat/multi:1.0`, `oci:${out}:arm`, '--platform', 'linux/arm64', '--json']);
    assert.equal(r.status, 0, r.stderr);
    const arm = layout.images.multi.children!.find((c) => c.platform?.architecture === 'arm64')!;
    assert.equal(r.json?.result.digest, arm.digest);
    assert.equal(sha256Digest(await skopeoInspectRaw(`oci:${out}:arm`)), arm.digest);
    const missing = await ferryAsync(['image', 'copy', `${open.host}/plat/multi:1.0`, `oci:${out}:s390x`, '--platform', 'linux/s390x', '--json']);
    assert.equal(missing.status, 5);
    assert.match(missing.json?.error.message, /no image for linux\/s390x \(it has linux\/amd64, linux\/arm64\)/);
  });

  test('mirror: many images in one run share blobs; a failing line does not stop the rest', async () => {
    const reg = await registry({ auth: 'none' });
    const dir = tempDir();
    const mapping = path.join(dir, 'mapping.txt');
    const lines = ['base', 'app', 'big', 'multi'].map((n) => `${layout.images[n as 'base'].layoutRef}=${reg.host}/mirror/${n}:1.0`);
    writeFileSync(mapping, `# fixtures\n${lines.join('\n')}\n${reg.host}/does/not-exist:1=${reg.host}/mirror/nothing:1\n`);
    const r = await ferryAsync(['image', 'mirror', '-f', mapping, '--json']);
    assert.equal(r.status, 7, r.stderr);
    assert.equal(r.json?.status, 'partial');
    assert.equal(r.json?.result.images.length, 4);
    assert.equal(r.json?.result.failed.length, 1);
    assert.equal(r.json?.result.failed[0].error.code, 'NOT_FOUND');
    // base's layer is shared by app and both platforms of multi: it is uploaded once and mounted for the rest.
    // (distribution logs each request twice: once as an access-log line starting with the client address.)
    const uploadsOfBaseLayer = reg.logLines().filter((l) => l.startsWith('127.0.0.1 ') && l.includes('"PUT ') && l.includes(`digest=${layout.images.base.layers[0]!.replace(':', '%3A')}`)).length;
    assert.equal(uploadsOfBaseLayer, 1, 'the shared layer is uploaded once');
    assert.ok(r.json?.result.blobs.mounted >= 2, `mounted ${r.json?.result.blobs.mounted}`);
    for (const n of ['base', 'app', 'big', 'multi'] as const) {
      assert.equal(sha256Digest(await skopeoInspectRaw(`docker://${reg.host}/mirror/${n}:1.0`, reg)), layout.images[n].digest);
    }
  });

  test('regression: many images mirrored at once into one layout all get their index.json entry', async () => {
    await pushFixtures(layout, open, 'many', { names: ['base', 'app', 'big', 'multi'] });
    const dir = tempDir();
    const out = path.join(dir, 'layout');
    const mapping = path.join(dir, 'mapping.txt');
    writeFileSync(mapping, ['base', 'app', 'big', 'multi'].map((n) => `${open.host}/many/${n}:1.0=oci:${out}:${n}`).join('\n'));
    const r = await ferryAsync(['image', 'mirror', '-f', mapping, '--json']);
    assert.equal(r.status, 0, r.stderr);
    for (const n of ['base', 'app', 'big', 'multi'] as const) {
      assert.equal(sha256Digest(await skopeoInspectRaw(`oci:${out}:${n}`)), layout.images[n].digest, `${n} is named in index.json`);
    }
  });

  test('inspect: --raw is the exact bytes; --json describes image and index', async () => {
    await pushFixtures(layout, open, 'insp', { names: ['app', 'multi'] });
    const raw = await ferryAsync(['image', 'inspect', `${open.host}/insp/app:1.0`, '--raw']);
    assert.equal(raw.status, 0, raw.stderr);
    assert.equal(sha256Digest(raw.stdout), layout.images.app.digest);
    const image = await ferryAsync(['image', 'inspect', `${open.host}/insp/app:1.0`, '--json']);
    assert.equal(image.json?.result.kind, 'image');
    assert.equal(image.json?.result.platform, 'linux/amd64');
    assert.deepEqual(image.json?.result.layers.map((l: { digest: string }) => l.digest), layout.images.app.layers);
    const index = await ferryAsync(['image', 'inspect', `docker://${open.host}/insp/multi:1.0`, '--json']);
    assert.deepEqual(index.json?.result.manifests.map((m: { platform: string }) => m.platform), ['linux/amd64', 'linux/arm64']);
  });

  test('bad input: unknown transport (2), malformed reference (3), missing image (5)', async () => {
    const unknown = await ferryAsync(['image', 'copy', 'dir:/tmp/x', `oci:${tempDir()}:x`, '--json']);
    assert.equal(unknown.status, 2);
    assert.equal(unknown.json?.error.code, 'UNKNOWN_TRANSPORT');
    const malformed = await ferryAsync(['image', 'copy', `docker://${open.host}/Bad/Name:1`, `oci:${tempDir()}:x`, '--json']);
    assert.equal(malformed.status, 3);
    assert.equal(malformed.json?.error.code, 'INVALID_REFERENCE');
    const out = tempDir();
    const missing = await ferryAsync(['image', 'copy', `${open.host}/nothing/here:1`, `oci:${out}:x`, '--json']);
    assert.equal(missing.status, 5);
    assert.match(missing.json?.error.message, /nothing\/here:1: not found/);
  });

  test('a registry serving a blob whose bytes do not match its digest: integrity error, nothing written', async () => {
    const reg = await registry({ auth: 'none' });
    await pushFixtures(layout, reg, 'bad', { names: ['base'] });
    const layer = layout.images.base.layers[0]!;
    const hex = layer.slice('sha256:'.length);
    const data = path.join(reg.storageDir, 'docker', 'registry', 'v2', 'blobs', 'sha256', hex.slice(0, 2), hex, 'data');
    const bytes = readFileSync(data);
    bytes[bytes.length >> 1] ^= 0xff;
    writeFileSync(data, bytes);
    const out = tempDir();
    const r = await ferryAsync(['image', 'copy', `${reg.host}/bad/base:1.0`, `oci:${out}:base`, '--json']);
    assert.equal(r.status, 6, r.stderr);
    assert.equal(r.json?.error.code, 'INTEGRITY');
    assert.match(r.json?.error.message, /does not match its digest/);
    assert.ok(!existsSync(path.join(out, 'blobs', 'sha256', hex)), 'the bad blob is not in the layout');
    assert.deepEqual(filesUnder(out).filter((f) => f.endsWith('.tmp')), [], 'no temp file left');
    assert.ok(!readFileSync(path.join(out, 'index.json'), 'utf8').includes('base'), 'no image entry written');
  });
});

describe('htpasswd registry', () => {
  test('push with --dest-creds; wrong or missing credentials exit 4 and never echo the password', async () => {
    const reg = await registry({ auth: 'htpasswd' });
    const ok = await ferryAsync(['image', 'copy', layout.images.app.layoutRef, `${reg.host}/basic/app:1.0`, '--dest-creds', `${reg.username}:${reg.password}`, '--json']);
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(sha256Digest(await skopeoInspectRaw(`docker://${reg.host}/basic/app:1.0`, reg)), layout.images.app.digest);
    const wrong = await ferryAsync(['image', 'inspect', `${reg.host}/basic/app:1.0`, '--creds', `${reg.username}:not-the-password`, '--json']);
    assert.equal(wrong.status, 4);
    assert.equal(wrong.json?.error.code, 'AUTH');
    assert.ok(!wrong.stdout.includes('not-the-password') && !wrong.stderr.includes('not-the-password'));
    const none = await ferryAsync(['image', 'inspect', `${reg.host}/basic/app:1.0`, '--json'], { env: { HOME: tempDir(), REGISTRY_AUTH_FILE: '', XDG_RUNTIME_DIR: '' } });
    assert.equal(none.status, 4);
  });

  test('credentials from an auth file (REGISTRY_AUTH_FILE)', async () => {
    const reg = await registry({ auth: 'htpasswd' });
    const dir = tempDir();
    const authfile = path.join(dir, 'auth.json');
    writeFileSync(authfile, JSON.stringify({ auths: { [reg.host]: { auth: Buffer.from(`${reg.username}:${reg.password}`).toString('base64') } } }));
    const r = await ferryAsync(['image', 'copy', layout.images.base.layoutRef, `${reg.host}/file/base:1.0`, '--json'], { env: { REGISTRY_AUTH_FILE: authfile } });
    assert.equal(r.status, 0, r.stderr);
    const inspect = await ferryAsync(['image', 'inspect', `${reg.host}/file/base:1.0`, '--authfile', authfile, '--json']);
    assert.equal(inspect.json?.result.digest, layout.images.base.digest);
  });
});

describe('token registry', () => {
  test('Bearer tokens: one repository per token request (two for a mount), cached, wrong password exit 4', async () => {
    const reg = await registry({ auth: 'token' });
    const creds = `${reg.username}:${reg.password}`;
    const r = await ferryAsync(['image', 'copy', layout.images.multi.layoutRef, `${reg.host}/tok/multi:1.0`, '--dest-creds', creds, '--json']);
    assert.equal(r.status, 0, r.stderr);
    const requests = reg.tokenServer!.requests.filter((q) => q.status === 200);
    assert.equal(requests.length, 1, `one token for the whole copy, got ${JSON.stringify(requests)}`);
    assert.deepEqual(requests[0]!.scopes, [`repository:tok/multi:pull,push`]);
    assert.equal(sha256Digest(await skopeoInspectRaw(`docker://${reg.host}/tok/multi:1.0`, reg)), layout.images.multi.digest);

    reg.tokenServer!.reset();
    const mount = await ferryAsync(['image', 'copy', `${reg.host}/tok/multi:1.0`, `${reg.host}/tok/other:1.0`, '--src-creds', creds, '--dest-creds', creds, '--json']);
    assert.equal(mount.status, 0, mount.stderr);
    assert.ok(mount.json?.result.blobs.mounted > 0);
    for (const q of reg.tokenServer!.requests) {
      const repos = new Set(q.scopes.map((s) => s.split(':')[1]));
      if (q.scopes.length === 1) continue;
      assert.deepEqual(q.scopes.slice().sort(), ['repository:tok/multi:pull', 'repository:tok/other:pull,push'], 'only mounts ask two scopes');
      assert.equal(repos.size, 2);
    }

    const wrong = await ferryAsync(['image', 'inspect', `${reg.host}/tok/multi:1.0`, '--creds', `${reg.username}:wrong`, '--json']);
    assert.equal(wrong.status, 4);
    assert.ok(!wrong.stdout.includes(':wrong'));
  });
});

describe('TLS registry', () => {
  test('verified against --ca-file; refused without it; --tls-verify=false allowed', async () => {
    const reg = await registry({ auth: 'none', tls: true });
    const refused = await ferryAsync(['image', 'copy', layout.images.base.layoutRef, `${reg.host}/tls/base:1.0`, '--json']);
    assert.equal(refused.status, 1);
    assert.equal(refused.json?.error.code, 'TLS');
    const ok = await ferryAsync(['image', 'copy', layout.images.base.layoutRef, `${reg.host}/tls/base:1.0`, '--ca-file', reg.caFile!, '--json']);
    assert.equal(ok.status, 0, ok.stderr);
    const insecure = await ferryAsync(['image', 'inspect', `${reg.host}/tls/base:1.0`, '--tls-verify=false', '--json']);
    assert.equal(insecure.status, 0, insecure.stderr);
    assert.equal(insecure.json?.result.digest, layout.images.base.digest);
    assert.equal(sha256Digest(await skopeoInspectRaw(`docker://${reg.host}/tls/base:1.0`, reg)), layout.images.base.digest);
  });
});

describe('archives, both directions', () => {
  test('ferry writes oci-archive: skopeo reads it as oci-archive: and docker-archive: with identical digests', async () => {
    await pushFixtures(layout, open, 'arch', { names: ['app', 'multi'] });
    const dir = tempDir();
    const archive = path.join(dir, 'images.tar');
    const app = await ferryAsync(['image', 'copy', `${open.host}/arch/app:1.0`, `oci-archive:${archive}:${open.host}/arch/app:1.0`, '--json']);
    assert.equal(app.status, 0, app.stderr);
    assert.equal(sha256Digest(await skopeoInspectRaw(`oci-archive:${archive}:${open.host}/arch/app:1.0`)), layout.images.app.digest);
    // docker-archive: reads the manifest.json ferry adds: same image config (layer diff IDs), same tag.
    const viaDocker = await runChecked('skopeo', ['--insecure-policy', 'inspect', '--config', `docker-archive:${archive}`]);
    const sourceConfig = JSON.parse(layout.blob(layout.images.app.config!).toString('utf8')) as { rootfs: { diff_ids: string[] } };
    assert.deepEqual((JSON.parse(viaDocker.stdout) as { rootfs: { diff_ids: string[] } }).rootfs.diff_ids, sourceConfig.rootfs.diff_ids);
    const byTag = await runChecked('skopeo', ['--insecure-policy', 'inspect', '--config', `docker-archive:${archive}:${open.host}/arch/app:1.0`]);
    assert.equal(byTag.stdout, viaDocker.stdout, 'the RepoTags entry names the image');
    // And ferry reads its own archive back.
    const back = await ferryAsync(['image', 'copy', `oci-archive:${archive}:${open.host}/arch/app:1.0`, `${open.host}/arch/back:1.0`, '--json']);
    assert.equal(back.status, 0, back.stderr);
    assert.equal(back.json?.result.digest, layout.images.app.digest);
  });

  test('skopeo writes oci-archive: and docker-archive:, ferry reads both', async () => {
    const dir = tempDir();
    await skopeoCopy(layout.images.multi.layoutRef, `oci-archive:${dir}/multi.tar:multi`, { all: true });
    const fromOci = await ferryAsync(['image', 'copy', `oci-archive:${dir}/multi.tar:multi`, `${open.host}/skopeo/multi:1.0`, '--json']);
    assert.equal(fromOci.status, 0, fromOci.stderr);
    assert.equal(fromOci.json?.result.digest, layout.images.multi.digest);
    await runChecked('skopeo', ['--insecure-policy', 'copy', '--format', 'v2s2', layout.images.base.layoutRef, `docker-archive:${dir}/base.tar:example.com/base:1.0`]);
    const fromDocker = await ferryAsync(['image', 'copy', `docker-archive:${dir}/base.tar:example.com/base:1.0`, `${open.host}/skopeo/base:1.0`, '--json']);
    assert.equal(fromDocker.status, 0, fromDocker.stderr);
    // ferry serves the manifest it synthesizes from manifest.json unchanged: skopeo reads those bytes and the same config.
    assert.equal(fromDocker.json?.result.digest, sha256Digest(await skopeoInspectRaw(`docker://${open.host}/skopeo/base:1.0`, open)));
    const config = await runChecked('skopeo', ['--insecure-policy', 'inspect', '--tls-verify=false', '--config', `docker://${open.host}/skopeo/base:1.0`]);
    const sourceConfig = JSON.parse(layout.blob(layout.images.base.config!).toString('utf8')) as { rootfs: { diff_ids: string[] } };
    assert.deepEqual((JSON.parse(config.stdout) as { rootfs: { diff_ids: string[] } }).rootfs.diff_ids, sourceConfig.rootfs.diff_ids);
  });
});
