/**
 * Auth behaviour that needs a server between ferry and the registry: a 401 on a cached token asks
 * for a fresh one; a redirect to another host never carries the Authorization header.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { copyImages } from '../src/oci/operations/copy-images.js';
import { inspectImage } from '../src/oci/operations/inspect-image.js';
import { startFaultProxy, type FaultProxy } from './helpers/fault-proxy.js';
import { buildFixtureLayout, pushFixtures, type FixtureLayout } from './helpers/fixtures.js';
import { startRegistry, type TestRegistry } from './helpers/registry.js';
import { tempDir } from './helpers/paths.js';

let layout: FixtureLayout;
let tokenRegistry: TestRegistry;
let basicRegistry: TestRegistry;

before(async () => {
  layout = await buildFixtureLayout();
  tokenRegistry = await startRegistry({ auth: 'token' });
  basicRegistry = await startRegistry({ auth: 'htpasswd' });
  await pushFixtures(layout, tokenRegistry, 'auth', { names: ['app'] });
  await pushFixtures(layout, basicRegistry, 'auth', { names: ['app'] });
});

after(async () => {
  await tokenRegistry.stop();
  await basicRegistry.stop();
});

describe('token refresh', () => {
  let proxy: FaultProxy;
  before(async () => {
    proxy = await startFaultProxy(tokenRegistry);
  });
  after(async () => proxy.stop());

  test('a 401 with a cached token fetches a new token and the request succeeds', async () => {
    const challenge = `Bearer realm="${tokenRegistry.tokenServer!.realm}",service="${tokenRegistry.tokenServer!.service}",scope="repository:auth/app:pull"`;
    tokenRegistry.tokenServer!.reset();
    // The config blob request answers 401 once, as a registry does when a token has expired.
    proxy.failWith(401, 1, { 'WWW-Authenticate': challenge }, { method: 'GET', path: /\/blobs\// });
    const result = await inspectImage(`${proxy.host}/auth/app:1.0`, { registry: { credentials: { creds: `${tokenRegistry.username}:${tokenRegistry.password}` } } });
    assert.equal(result.digest, layout.images.app.digest);
    const granted = tokenRegistry.tokenServer!.requests.filter((r) => r.status === 200);
    assert.equal(granted.length, 2, 'one token, then a fresh one after the 401');
    assert.deepEqual(granted.map((r) => r.scopes), [['repository:auth/app:pull'], ['repository:auth/app:pull']]);
  });
});

describe('redirects', () => {
  test('blob redirects to another host are followed without Authorization', async () => {
    const seenByStorage: Array<string | undefined> = [];
    // "Blob storage" on another port (another host:port as far as HTTP is concerned).
    const storage = http.createServer((req, res) => {
      seenByStorage.push(req.headers.authorization);
      const upstream = http.request(`${basicRegistry.url}${req.url}`, { headers: { authorization: basic() } }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      upstream.end();
    });
    // The "registry" front: passes everything through, but redirects blob GETs to storage.
    const front = http.createServer((req, res) => {
      if (req.method === 'GET' && /\/blobs\/sha256:/.test(req.url ?? '') && req.headers.authorization) {
        res.writeHead(307, { Location: `http://127.0.0.1:${(storage.address() as AddressInfo).port}${req.url}` });
        res.end();
        return;
      }
      const upstream = http.request(`${basicRegistry.url}${req.url}`, { method: req.method, headers: { ...req.headers, host: basicRegistry.host } }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      req.pipe(upstream);
    });
    await new Promise<void>((r) => storage.listen(0, '127.0.0.1', r));
    await new Promise<void>((r) => front.listen(0, '127.0.0.1', r));
    try {
      const host = `127.0.0.1:${(front.address() as AddressInfo).port}`;
      const out = tempDir();
      const result = await copyImages([{ source: `${host}/auth/app:1.0`, destination: `oci:${out}:app` }], {
        failFast: true,
        source: { credentials: { creds: `${basicRegistry.username}:${basicRegistry.password}` } },
      });
      assert.equal(result.images[0]?.digest, layout.images.app.digest);
      assert.equal(seenByStorage.length, 3, 'config and both layers came from storage');
      assert.deepEqual(seenByStorage, [undefined, undefined, undefined], 'no credentials crossed to the other host');
    } finally {
      storage.close();
      front.close();
    }
  });
});

function basic(): string {
  return `Basic ${Buffer.from(`${basicRegistry.username}:${basicRegistry.password}`).toString('base64')}`;
}

describe('identitytoken', () => {
  test('an auth file identitytoken is exchanged at the token endpoint (OAuth2 refresh grant)', async () => {
    const dir = tempDir();
    const authfile = path.join(dir, 'config.json');
    writeFileSync(authfile, JSON.stringify({ auths: { [tokenRegistry.host]: { identitytoken: tokenRegistry.tokenServer!.refreshToken } } }));
    tokenRegistry.tokenServer!.reset();
    const result = await inspectImage(`${tokenRegistry.host}/auth/app:1.0`, { registry: { credentials: { authfile } } });
    assert.equal(result.digest, layout.images.app.digest);
    assert.deepEqual(
      tokenRegistry.tokenServer!.requests.map((r) => [r.grant, r.status, r.scopes]),
      [['refresh_token', 200, ['repository:auth/app:pull']]],
    );
  });
});
