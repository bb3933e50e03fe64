import assert from 'node:assert/strict';
import { writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { parseMappings } from '../src/mirror/mapping-file.js';
import { IntegrityError, VerifyingStream, sha256Digest } from '../src/oci/digest.js';
import { MAX_MANIFEST_SIZE, parseManifest } from '../src/oci/manifest.js';
import { MediaType } from '../src/oci/media-types.js';
import { parsePlatform, selectPlatform } from '../src/oci/platform.js';
import { parseChallenge } from '../src/oci/registry/auth.js';
import { authFileCandidates, lookupCredentials } from '../src/oci/registry/credentials.js';
import { redactUrl, registryError } from '../src/oci/registry/errors.js';
import { backoffDelay, isRetryableStatus } from '../src/oci/registry/retry.js';
import { parseImageName } from '../src/oci/transport.js';
import { ExitCode } from '../src/errors.js';
import { tempDir } from './helpers/paths.js';

const digestA = `sha256:${'a'.repeat(64)}`;

describe('manifests', () => {
  const image = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociManifest, config: { mediaType: MediaType.ociConfig, digest: digestA, size: 2 }, layers: [{ mediaType: MediaType.ociLayerGzip, digest: digestA, size: 3 }] }));

  it('keeps the raw bytes and digests them as they are', () => {
    const m = parseManifest(image, 'application/json', 'x');
    assert.equal(m.kind, 'image');
    assert.equal(m.digest, sha256Digest(image));
    assert.equal(m.bytes, image);
  });

  it('refuses schema 1 with a clear message', () => {
    const s1 = Buffer.from(JSON.stringify({ schemaVersion: 1, name: 'x', fsLayers: [] }));
    assert.throws(() => parseManifest(s1, MediaType.dockerSchema1Signed, 'quay.io/old:1'), (e: Error & { code: string }) => e.code === 'UNSUPPORTED_MANIFEST' && /schema 1 is obsolete/.test(e.message) && e.message.includes('quay.io/old:1'));
  });

  it('caps the manifest size', () => {
    const big = Buffer.alloc(MAX_MANIFEST_SIZE + 1, 0x20);
    assert.throws(() => parseManifest(big, MediaType.ociManifest, 'x'), (e: Error & { code: string }) => e.code === 'MANIFEST_TOO_LARGE');
  });

  it('tells an index from an image by shape when mediaType is absent', () => {
    const index = Buffer.from(JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: MediaType.ociManifest, digest: digestA, size: 1, platform: { os: 'linux', architecture: 'arm64' } }] }));
    const m = parseManifest(index, undefined, 'x');
    assert.equal(m.kind, 'index');
    assert.equal(m.mediaType, MediaType.ociIndex);
  });

  it('rejects descriptors without a valid digest, naming the field', () => {
    const bad = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociManifest, config: { mediaType: 'x', digest: 'md5:00', size: 1 }, layers: [] }));
    assert.throws(() => parseManifest(bad, undefined, 'img'), /img: config: unsupported digest "md5:00"/);
  });
});

describe('verifying stream', () => {
  const data = Buffer.from('hello world');
  const sink = () => new Writable({ write: (_c, _e, cb) => cb() });

  it('passes good data', async () => {
    await pipeline(Readable.from([data]), new VerifyingStream({ digest: sha256Digest(data), size: data.length, source: 't' }), sink());
  });

  it('fails at the end on a digest mismatch, with exit code 6', async () => {
    await assert.rejects(pipeline(Readable.from([data]), new VerifyingStream({ digest: sha256Digest('other bytes'), size: data.length, source: 't' }), sink()), (e: IntegrityError) => e.exitCode === ExitCode.integrity && /does not match/.test(e.message));
  });

  it('fails on short and long data', async () => {
    await assert.rejects(pipeline(Readable.from([data]), new VerifyingStream({ digest: sha256Digest(data), size: data.length + 1, source: 't' }), sink()), /has 11 bytes, expected 12/);
    await assert.rejects(pipeline(Readable.from([data]), new VerifyingStream({ digest: sha256Digest(data), size: 5, source: 't' }), sink()), /larger than its declared 5 bytes/);
  });
});

describe('platforms', () => {
  it('parses and selects, normalizing arch names and arm64 variant', () => {
    assert.deepEqual(parsePlatform('linux/arm64/v8'), { os: 'linux', architecture: 'arm64', variant: 'v8' });
    assert.deepEqual(parsePlatform('linux/x86_64'), { os: 'linux', architecture: 'amd64' });
    assert.throws(() => parsePlatform('linux'), /expected os\/architecture/);
    const manifests = [
      { mediaType: 'm', digest: 'sha256:1', size: 1, platform: { os: 'linux', architecture: 'amd64' } },
      { mediaType: 'm', digest: 'sha256:2', size: 1, platform: { os: 'linux', architecture: 'arm64' } },
    ];
    assert.equal(selectPlatform(manifests, parsePlatform('linux/arm64/v8'))?.digest, 'sha256:2');
    assert.equal(selectPlatform(manifests, parsePlatform('linux/amd64'))?.digest, 'sha256:1');
    assert.equal(selectPlatform(manifests, parsePlatform('linux/s390x')), undefined);
  });
});

describe('registry protocol pieces', () => {
  it('parses Bearer and Basic challenges', () => {
    assert.deepEqual(parseChallenge('Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push"'), {
      scheme: 'bearer',
      params: { realm: 'https://auth.example/token', service: 'registry.example', scope: 'repository:a/b:pull,push' },
    });
    assert.deepEqual(parseChallenge('Basic realm="Registry Realm"'), { scheme: 'basic', params: { realm: 'Registry Realm' } });
    assert.equal(parseChallenge('Negotiate abc'), undefined);
  });

  it('retries only 408, 429 and 5xx', () => {
    assert.deepEqual([400, 401, 403, 404, 408, 429, 500, 501, 502, 503].filter(isRetryableStatus), [408, 429, 500, 502, 503]);
  });

  it('backs off exponentially with jitter, and honours Retry-After in seconds or as a date', () => {
    assert.equal(backoffDelay(0, '2'), 2000);
    assert.equal(backoffDelay(0, new Date(10_000).toUTCString(), 7_000), 3000);
    assert.equal(backoffDelay(0, '3600'), 60_000);
    assert.equal(backoffDelay(0, undefined, 0, () => 0), 100);
    assert.equal(backoffDelay(3, undefined, 0, () => 1), 1600);
    assert.equal(backoffDelay(20, undefined, 0, () => 1), 10_000);
  });

  it('maps registry errors to exit codes and never prints credentials', () => {
    assert.equal(registryError(401, '', 'GET', 'http://u:p@h/v2/', 'x').exitCode, ExitCode.auth);
    assert.equal(registryError(404, '{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}', 'GET', 'http://h/v2/a/manifests/1', 'x').exitCode, ExitCode.notFound);
    assert.equal(registryError(400, '{"errors":[{"code":"DIGEST_INVALID"}]}', 'PUT', 'http://h/', 'x').exitCode, ExitCode.integrity);
    assert.equal(redactUrl('https://user:secret@h/v2/x?_state=abc&digest=1'), 'https://h/v2/x');
    assert.ok(!registryError(500, 'oops', 'GET', 'https://user:secret@h/v2/', 'x').message.includes('secret'));
  });
});

describe('credentials', () => {
  const dir = tempDir();
  const authfile = path.join(dir, 'auth.json');
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  writeFileSync(
    authfile,
    JSON.stringify({
      auths: {
        'quay.io': { auth: b64('alice:pw1') },
        'quay.io/team/app': { auth: b64('bob:pw2') },
        'https://index.docker.io/v1/': { auth: b64('carol:pw3') },
        'mirror.example:5000': { identitytoken: 'refresh-me' },
      },
    }),
  );

  it('--creds wins over files', () => {
    assert.deepEqual(lookupCredentials('quay.io', undefined, { creds: 'u:p:with:colons', authfile }), { username: 'u', password: 'p:with:colons' });
  });

  it('reads auth and identitytoken entries; most specific key wins; docker hub aliases', () => {
    assert.deepEqual(lookupCredentials('quay.io', undefined, { authfile }), { username: 'alice', password: 'pw1' });
    assert.deepEqual(lookupCredentials('quay.io', 'team/app', { authfile }), { username: 'bob', password: 'pw2' });
    assert.deepEqual(lookupCredentials('docker.io', 'library/busybox', { authfile }), { username: 'carol', password: 'pw3' });
    assert.deepEqual(lookupCredentials('mirror.example:5000', undefined, { authfile }), { identityToken: 'refresh-me' });
    assert.equal(lookupCredentials('other.example', undefined, { authfile }), undefined);
  });

  it('searches REGISTRY_AUTH_FILE, XDG_RUNTIME_DIR, then ~/.docker, first existing file only', () => {
    const home = tempDir();
    mkdirSync(path.join(home, '.docker'));
    writeFileSync(path.join(home, '.docker', 'config.json'), JSON.stringify({ auths: { 'quay.io': { auth: b64('dave:pw4') } } }));
    const env = { HOME: home, XDG_RUNTIME_DIR: path.join(home, 'run') };
    assert.deepEqual(authFileCandidates({}, { ...env, REGISTRY_AUTH_FILE: authfile }), [authfile, path.join(home, 'run', 'containers', 'auth.json'), path.join(home, '.docker', 'config.json')]);
    assert.deepEqual(lookupCredentials('quay.io', undefined, {}, env), { username: 'dave', password: 'pw4' });
    assert.deepEqual(lookupCredentials('quay.io', undefined, {}, { ...env, REGISTRY_AUTH_FILE: authfile }), { username: 'alice', password: 'pw1' });
  });

  it('a missing --authfile is an error', () => {
    assert.throws(() => lookupCredentials('quay.io', undefined, { authfile: path.join(dir, 'nope.json') }), /does not exist/);
  });
});

describe('image names and mapping files', () => {
  it('parses transports as skopeo spells them', () => {
    const d = parseImageName('docker://busybox');
    assert.equal(d.transport, 'docker');
    assert.equal(d.transport === 'docker' && `${d.reference.domain}/${d.reference.path}:${d.reference.tag}`, 'docker.io/library/busybox:latest');
    const bare = parseImageName('localhost:5000/ns/app@sha256:' + 'b'.repeat(64));
    assert.equal(bare.transport === 'docker' && bare.reference.domain, 'localhost:5000');
    const oci = parseImageName('oci:/tmp/layout:quay.io/x/y:1');
    assert.deepEqual(oci.transport === 'oci' && [oci.path, oci.reference], ['/tmp/layout', 'quay.io/x/y:1']);
    assert.equal(parseImageName('oci-archive:/tmp/a.tar').transport, 'oci-archive');
    assert.throws(() => parseImageName('dir:/tmp/x'), (e: Error & { exitCode: number }) => e.exitCode === ExitCode.usage && /dir: transport is not supported/.test(e.message));
    assert.throws(() => parseImageName('ftp://x/y'), /not supported/);
    assert.throws(() => parseImageName('docker://quay.io/Upper/case:1'), /invalid image reference/);
  });

  it('reads SRC=DST lines, comments and several per line; reports bad lines with their number', () => {
    assert.deepEqual(parseMappings('# header\n\nquay.io/a:1=mirror/a:1\n  b=c d=e  \n', 'm.txt'), [
      { source: 'quay.io/a:1', destination: 'mirror/a:1', line: 3 },
      { source: 'b', destination: 'c', line: 4 },
      { source: 'd', destination: 'e', line: 4 },
    ]);
    assert.throws(() => parseMappings('ok=fine\nnot-a-mapping\n=x\n', 'm.txt'), (e: Error) => /m\.txt:2/.test(e.message) && /m\.txt:3/.test(e.message));
  });
});
