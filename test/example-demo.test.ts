/**
 * The README's first command, end to end: examples/demo.mjs (what `npm run example` runs after the
 * build) packs the bundled example, inspects and verifies it, serves it, lists the served catalog's
 * images and copies one image out of the mirror, then stops the server. It runs with a PATH holding
 * only node: no docker-registry, skopeo or umoci is needed, and the example names registries
 * (quay.io, ghcr.io, docker.io) that it must never reach.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import { run } from './helpers/exec.js';
import { repoRoot } from './helpers/paths.js';

const OUT = path.join(repoRoot, 'examples', 'out');
const REF_NAME = 'org.opencontainers.image.ref.name';
const OPERAND = 'quay.io/ferry-example/hello-operator:v1.1.0';

function layoutDigests(dir: string): Map<string, string> {
  const index = JSON.parse(readFileSync(path.join(dir, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string; annotations?: Record<string, string> }> };
  return new Map(index.manifests.map((m) => [m.annotations![REF_NAME]!, m.digest]));
}

/** True when something accepts connections at HOST:PORT. */
function accepts(address: string): Promise<boolean> {
  const [host, port] = [address.slice(0, address.lastIndexOf(':')), Number(address.slice(address.lastIndexOf(':') + 1))];
  return new Promise((resolve) => {
    const socket = net.connect({ host, port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

test('examples/demo.mjs runs the whole story offline: pack, inspect, verify, serve, list and copy from the mirror, stop', async () => {
  const r = await run(process.execPath, [path.join(repoRoot, 'examples', 'demo.mjs')], {
    cwd: repoRoot,
    env: { ...process.env, PATH: path.dirname(process.execPath), NO_COLOR: '1' },
    timeoutMs: 300_000,
  });
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);

  // Each step's command is printed before it runs.
  for (const step of ['$ ferry pack --from-dir examples/manifests', '$ ferry inspect examples/out/ferry-example.tar', '$ ferry verify examples/out/ferry-example.tar', '$ ferry serve examples/out/ferry-example.tar', '$ ferry registry images --from ', '$ ferry image copy ']) {
    assert.ok(r.stdout.includes(step), `the output shows "${step}"`);
  }
  assert.match(r.stdout, /examples\/out\/ferry-example\.tar: intact/);
  const address = /listening on http:\/\/(\S+)/.exec(r.stdout)?.[1];
  assert.ok(address, 'ferry serve said where it listens');

  // The mapping serve wrote: every image of the example (and the catalog), mirrored at the served address.
  const examples = layoutDigests(path.join(repoRoot, 'examples', 'images'));
  const mapping = new Map(
    readFileSync(path.join(OUT, 'manifests', 'mapping.txt'), 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '' && !l.startsWith('#'))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  const expected = [...examples.keys()].filter((ref) => !ref.includes('catalog-base')).concat('quay.io/ferry-example/catalog:v1').sort();
  assert.deepEqual([...mapping.keys()].sort(), expected);
  for (const destination of mapping.values()) assert.ok(destination.startsWith(`${address}/`), destination);

  // The served catalog listed every image the example needs.
  for (const ref of examples.keys()) if (!ref.includes('catalog-base')) assert.ok(r.stdout.includes(`\n${ref}\n`), `registry images listed ${ref}`);

  // The image copied out of the mirror is the example image, digest unchanged through pack, serve and copy.
  assert.equal(layoutDigests(path.join(OUT, 'pulled')).get(OPERAND), examples.get(OPERAND));

  // The summary says where things are, and the server is gone.
  assert.match(r.stdout, /oc apply -f examples\/out\/manifests/);
  assert.equal(await accepts(address!), false, 'nothing listens at the served address after the demo');
});
