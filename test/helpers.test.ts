import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import { after, before, describe, test } from 'node:test';
import { bcryptRehash } from './helpers/bcrypt.js';
import { startFaultProxy, type FaultProxy } from './helpers/fault-proxy.js';
import {
  buildFixtureLayout,
  pushFixtures,
  sha256Digest,
  skopeoDigest,
  skopeoInspectRaw,
  trySkopeoCopy,
  type FixtureLayout,
} from './helpers/fixtures.js';
import { startRegistry, type TestRegistry } from './helpers/registry.js';
import { parseScope } from './helpers/token-server.js';

/* Proves the registry / fixture helpers work, using only independent tools (skopeo, umoci, fetch). */

let layout: FixtureLayout;
const registries: TestRegistry[] = [];
const proxies: FaultProxy[] = [];

async function registry(options: Parameters<typeof startRegistry>[0]): Promise<TestRegistry> {
  const r = await startRegistry(options);
  registries.push(r);
  return r;
}

before(async () => {
  layout = await buildFixtureLayout();
});

after(async () => {
  await Promise.all([...proxies.map((p) => p.stop()), ...registries.map((r) => r.stop())]);
});

const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('bcrypt', () => {
  test('matches the OpenBSD test vector', () => {
    const vector = '$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW';
    assert.equal(bcryptRehash('U*U', vector), vector);
  });
});

describe('fixture layout', () => {
  test('app shares its base layer, big is big, multi is a two-platform index', () => {
    const { base, app, big, multi } = layout.images;
    assert.equal(base.layers.length, 1);
    assert.equal(app.layers.length, 2);
    assert.equal(app.layers[0], base.layers[0]);
    assert.ok(layout.blob(big.layers[0]).length >= 8 * 1024 * 1024, 'big layer spans several MiB');
    assert.equal(multi.mediaType, 'application/vnd.oci.image.index.v1+json');
    assert.deepEqual(
      multi.children?.map((c) => c.platform),
      [
        { architecture: 'amd64', os: 'linux' },
        { architecture: 'arm64', os: 'linux' },
      ],
    );
    assert.equal(sha256Digest(layout.blob(multi.digest)), multi.digest);
  });

  test('is built once per process', async () => {
    assert.equal(await buildFixtureLayout(), layout);
  });
});

describe('open registry', () => {
  test('skopeo pushes every fixture with its digest intact, and it survives a restart', async () => {
    const r = await registry({});
    const pushed = await pushFixtures(layout, r, 'open');
    assert.deepEqual(
      pushed.map((p) => p.digest),
      pushed.map((p) => p.fixture.digest),
    );
    await r.restart();
    const multi = pushed.find((p) => p.name === 'multi')!;
    assert.equal(await skopeoDigest(multi.reference, r), multi.digest);
    const index = JSON.parse((await skopeoInspectRaw(multi.reference, r)).toString('utf8')) as { manifests: unknown[] };
    assert.equal(index.manifests.length, 2);
    assert.ok(r.logLines().some((l) => l.includes(`listening on 127.0.0.1:${r.port}`)));
    assert.equal(readFileSync(r.logFile, 'utf8').length > 0, true);
  });
});

describe('htpasswd registry', () => {
  test('accepts the right credentials only', async () => {
    const r = await registry({ auth: 'htpasswd' });
    const v2 = await fetch(`${r.url}/v2/`);
    assert.equal(v2.status, 401);
    assert.match(v2.headers.get('www-authenticate') ?? '', /^Basic realm=/);
    assert.equal((await fetch(`${r.url}/v2/`, { headers: { Authorization: basic(r.username!, r.password!) } })).status, 200);

    const [pushed] = await pushFixtures(layout, r, 'basic', { names: ['base'] });
    assert.equal(await skopeoDigest(pushed.reference, r), layout.images.base.digest);
    const wrong = await trySkopeoCopy(layout.images.base.layoutRef, `${r.host}/basic/other:1`, {
      dest: r,
      destCreds: { username: r.username!, password: 'wrong' },
    });
    assert.notEqual(wrong.status, 0);
    assert.match(wrong.stderr, /unauthorized|authentication required/i);
    const anonymous = await trySkopeoCopy(layout.images.base.layoutRef, `${r.host}/basic/other:1`, { dest: r, destCreds: 'anonymous' });
    assert.notEqual(anonymous.status, 0);
  });
});

describe('token registry', () => {
  test('the registry accepts tokens from the token server, which wants credentials', async () => {
    const r = await registry({ auth: 'token' });
    const ts = r.tokenServer!;
    const v2 = await fetch(`${r.url}/v2/`);
    assert.equal(v2.status, 401);
    assert.match(v2.headers.get('www-authenticate') ?? '', new RegExp(`^Bearer realm="${ts.realm}",service="test-registry"`));

    const scope = 'repository:tok/base:pull';
    assert.equal((await fetch(`${ts.realm}?service=test-registry&scope=${scope}`)).status, 401);
    const wrong = await fetch(`${ts.realm}?service=test-registry&scope=${scope}`, { headers: { Authorization: basic('ferry', 'nope') } });
    assert.equal(wrong.status, 401);
    const res = await fetch(`${ts.realm}?service=test-registry&scope=${scope}`, { headers: { Authorization: basic(ts.username, ts.password) } });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { token: string; access_token: string; expires_in: number };
    assert.equal(body.expires_in, 300);
    assert.equal(body.token, body.access_token);
    const claims = JSON.parse(Buffer.from(body.token.split('.')[1], 'base64url').toString('utf8')) as { access: unknown; aud: string };
    assert.deepEqual(claims.access, [{ type: 'repository', name: 'tok/base', actions: ['pull'] }]);
    assert.equal(claims.aud, 'test-registry');
    assert.equal((await fetch(`${r.url}/v2/`, { headers: { Authorization: `Bearer ${body.token}` } })).status, 200);

    ts.reset();
    const [pushed] = await pushFixtures(layout, r, 'tok', { names: ['app'] });
    assert.equal(await skopeoDigest(pushed.reference, r), layout.images.app.digest);
    assert.ok(ts.requests.length > 0);
    assert.ok(ts.requests.every((q) => q.status === 200 && q.user === 'ferry'));
    assert.ok(ts.requests.some((q) => q.scopes.includes('repository:tok/app:pull,push')));

    ts.reset();
    const anonymous = await trySkopeoCopy(layout.images.base.layoutRef, `${r.host}/tok/other:1`, { dest: r, destCreds: 'anonymous' });
    assert.notEqual(anonymous.status, 0);
    assert.ok(ts.requests.length > 0 && ts.requests.every((q) => q.status === 401));
  });

  test('parseScope keeps colons inside the name', () => {
    assert.deepEqual(parseScope('repository:a/b:pull,push'), { type: 'repository', name: 'a/b', actions: ['pull', 'push'] });
    assert.deepEqual(parseScope('registry:catalog:*'), { type: 'registry', name: 'catalog', actions: ['*'] });
    assert.equal(parseScope('nonsense'), undefined);
  });
});

describe('TLS registry', () => {
  test('serves HTTPS with the test CA; skopeo needs --cert-dir to trust it', async () => {
    const r = await registry({ tls: true, auth: 'htpasswd' });
    assert.match(r.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const status = await new Promise<number | undefined>((resolve, reject) => {
      https
        .get(`${r.url}/v2/`, { ca: readFileSync(r.caFile!), headers: { Authorization: basic(r.username!, r.password!) } }, (res) => {
          res.resume();
          resolve(res.statusCode);
        })
        .on('error', reject);
    });
    assert.equal(status, 200);

    const [pushed] = await pushFixtures(layout, r, 'tls', { names: ['base'] });
    assert.equal(await skopeoDigest(pushed.reference, r), layout.images.base.digest);
    const untrusted = await trySkopeoCopy(layout.images.base.layoutRef, `${r.host}/tls/other:1`, { dest: { ...r, certDir: undefined } });
    assert.notEqual(untrusted.status, 0);
    assert.match(untrusted.stderr, /certificate/i);
  });
});

describe('fault proxy', () => {
  let r: TestRegistry;
  let proxy: FaultProxy;
  const blobPath = (): string => `/v2/faults/big/blobs/${layout.images.big.layers[0]}`;

  before(async () => {
    r = await registry({});
    proxy = await startFaultProxy(r);
    proxies.push(proxy);
  });

  test('forwards pushes and pulls, rewriting Location so uploads stay on the proxy', async () => {
    const pushed = await pushFixtures(layout, proxy, 'faults', { names: ['base', 'big'] });
    assert.equal(pushed[1].digest, layout.images.big.digest);
    assert.ok(proxy.requestCount({ method: 'PATCH' }) + proxy.requestCount({ method: 'PUT', path: /\/blobs\/uploads\// }) > 0);
    assert.ok(proxy.counts.PUT > 0);
    assert.equal(await skopeoDigest(`${proxy.host}/faults/big:1.0`, { host: proxy.host }), layout.images.big.digest);
    // ...and the registry really has it.
    assert.equal(await skopeoDigest(`${r.host}/faults/big:1.0`, r), layout.images.big.digest);
  });

  test('failWith answers without forwarding', async () => {
    proxy.failWith(500, 1);
    await assert.rejects(skopeoDigest(`${proxy.host}/faults/base:1.0`, { host: proxy.host }), /500/);
    assert.ok(proxy.log.some((e) => e.status === 500 && e.fault === 'injected'));

    proxy.failWith(429, 2, { 'Retry-After': '1' }, { method: 'GET', path: /\/manifests\// });
    assert.equal((await fetch(`${proxy.url}/v2/`)).status, 200, 'a request that does not match is forwarded');
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`${proxy.url}/v2/faults/base/manifests/1.0`);
      assert.equal(res.status, 429);
      assert.equal(res.headers.get('retry-after'), '1');
    }
    // (distribution 2.8 answers 404 for an OCI manifest unless Accept lists the OCI type.)
    const accept = { Accept: 'application/vnd.oci.image.manifest.v1+json' };
    assert.equal((await fetch(`${proxy.url}/v2/faults/base/manifests/1.0`, { method: 'HEAD', headers: accept })).status, 200);
  });

  test('cutBlobDownloads breaks a blob download mid-body, once', async () => {
    proxy.cutBlobDownloads(1);
    const cut = await fetch(proxy.url + blobPath());
    assert.equal(cut.status, 200);
    await assert.rejects(cut.arrayBuffer());
    const whole = Buffer.from(await (await fetch(proxy.url + blobPath())).arrayBuffer());
    assert.equal(sha256Digest(whole), layout.images.big.layers[0]);
    assert.ok(proxy.log.some((e) => e.fault === 'cut-download'));
  });

  test('cutUploads breaks an upload after part of the body, once', async () => {
    const data = Buffer.alloc(256 * 1024, 7);
    const digest = sha256Digest(data);
    const upload = async (): Promise<Response> => {
      const start = await fetch(`${proxy.url}/v2/faults/upload/blobs/uploads/`, { method: 'POST' });
      assert.equal(start.status, 202);
      const location = start.headers.get('location')!;
      assert.ok(location.startsWith(proxy.url), `Location ${location} points at the proxy`);
      const url = new URL(location);
      url.searchParams.set('digest', digest);
      return fetch(url, { method: 'PUT', body: data, headers: { 'Content-Type': 'application/octet-stream' } });
    };
    proxy.cutUploads(1);
    await assert.rejects(upload());
    assert.ok(proxy.log.some((e) => e.fault === 'cut-upload'));
    assert.equal((await upload()).status, 201);
    const head = await fetch(`${r.url}/v2/faults/upload/blobs/${digest}`, { method: 'HEAD' });
    assert.equal(head.status, 200);
  });
});
