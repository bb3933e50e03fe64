/**
 * File-based catalogs: `registry build --output-format fbc` (push, save, database-only), `registry
 * migrate` of a database and of an image, the default base and the opm:latest warning, the opm flag
 * spellings. Synthetic packages only, a real docker-registry, skopeo and umoci; the comparison with
 * real opm lives in test/conformance/fbc-opm.test.ts.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { compactJson, goEncodeIndented, goIndent, RawJson } from '../src/catalog/fbc/go-json-indent.js';
import { splitJsonValues } from '../src/catalog/fbc/json-values.js';
import { latestOpmBaseWarning } from '../src/catalog/image/base-image-warning.js';
import { DEFAULT_BASE_IMAGE, defaultBaseImage } from '../src/catalog/image/catalog-labels.js';
import { copyRegistryOptions, registryOptions, rewriteBooleanAssignments } from '../src/cli/registry-flags.js';
import { ferryAsync } from './helpers/cli.js';
import { runChecked } from './helpers/exec.js';
import { buildFixtureLayout, skopeoCopy } from './helpers/fixtures.js';
import { writePackageManifest } from './helpers/manifests.js';
import { tempDir } from './helpers/paths.js';
import { startRegistry, type TestRegistry } from './helpers/registry.js';

let registry: TestRegistry;
let manifests: string;
let database: string;
let latestBase: string;

function objectsOf(file: string): Array<Record<string, any>> {
  return splitJsonValues(readFileSync(file, 'utf8'), file).map((t) => JSON.parse(t) as Record<string, any>);
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(path.join(d, e.name), path.join(rel, e.name));
      else out.push(path.join(rel, e.name));
    }
  };
  walk(dir, '');
  return out.sort();
}

function sameTree(a: string, b: string): void {
  assert.deepEqual(filesUnder(a), filesUnder(b));
  for (const f of filesUnder(a)) assert.equal(readFileSync(path.join(a, f), 'utf8'), readFileSync(path.join(b, f), 'utf8'), f);
}

before(async () => {
  const layout = await buildFixtureLayout();
  registry = await startRegistry({ auth: 'none' });
  latestBase = `${registry.host}/operator-framework/opm:latest`;
  await skopeoCopy(layout.images.base.layoutRef, `docker://${latestBase}`, { dest: registry });
  await skopeoCopy(layout.images.base.layoutRef, `docker://${registry.host}/operator-framework/opm:v1.73.0`, { dest: registry });
  manifests = tempDir();
  writePackageManifest(
    manifests,
    'alpha-op',
    [
      { name: 'stable', currentCSV: 'alpha-op.v0.3.0' },
      { name: 'fast', currentCSV: 'alpha-op.v0.2.0' },
    ],
    [
      { name: 'alpha-op.v0.1.0', version: '0.1.0', images: ['quay.io/example/alpha:0.1.0'] },
      { name: 'alpha-op.v0.2.0', version: '0.2.0', replaces: 'alpha-op.v0.1.0', images: ['quay.io/example/alpha:0.2.0'] },
      { name: 'alpha-op.v0.3.0', version: '0.3.0', replaces: 'alpha-op.v0.2.0', skips: ['alpha-op.v0.2.5'], images: ['quay.io/example/alpha:0.3.0'], relatedImages: ['quay.io/example/helper:1'] },
    ],
    'stable',
  );
  writePackageManifest(manifests, 'beta-op', [{ name: 'alpha', currentCSV: 'beta-op.v1.0.0' }], [{ name: 'beta-op.v1.0.0', version: '1.0.0', images: ['quay.io/example/beta:1'] }]);
  const out = tempDir();
  const db = await ferryAsync(['registry', 'build', '--from-dir', manifests, '--db-only', '--save', out, '--json']);
  assert.equal(db.status, 0, db.stderr);
  database = db.json!.result.database;
});

after(async () => registry?.stop());

describe('Go JSON layout', () => {
  test('raw values keep key order and number spelling; empty containers stay on one line', () => {
    assert.equal(compactJson(' { "b" : 1.50 , "a":[ ] , "c":{ }, "s": "x  y" }'), '{"b":1.50,"a":[],"c":{},"s":"x  y"}');
    assert.equal(goIndent('{"a":[],"b":{"c":[1,2]},"d":{}}'), '{\n    "a": [],\n    "b": {\n        "c": [\n            1,\n            2\n        ]\n    },\n    "d": {}\n}');
    assert.equal(goEncodeIndented({ type: 'x', value: new RawJson('{"z":1e300,"a":"<&>\u2028"}') }), '{\n    "type": "x",\n    "value": {\n        "z": 1e300,\n        "a": "<&>\u2028"\n    }\n}\n');
    assert.equal(goEncodeIndented({ s: 'a<b>&c\u2028' }), '{\n    "s": "a<b>&c\\u2028"\n}\n');
  });

  test('the bundle column splits into its values as written', () => {
    assert.deepEqual(splitJsonValues('{"a": {"b":"}{"}}\n  {"c":[1]}{"d":2}', 'x'), ['{"a": {"b":"}{"}}', '{"c":[1]}', '{"d":2}']);
    assert.throws(() => splitJsonValues('{"a":1}{"b":', 'x'), /not valid JSON/);
  });
});

describe('registry migrate', () => {
  test('a database: one folder per package, opm render order, graph and properties from the database', async () => {
    const dir = path.join(tempDir(), 'catalog');
    const r = await ferryAsync(['registry', 'migrate', database, dir, '--json']);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.json!.result.files, ['alpha-op/catalog.json', 'beta-op/catalog.json']);
    assert.deepEqual(filesUnder(dir), ['alpha-op/catalog.json', 'beta-op/catalog.json']);
    const text = readFileSync(path.join(dir, 'alpha-op', 'catalog.json'), 'utf8');
    assert.match(text, /^\{\n {4}"schema": "olm.package",\n {4}"name": "alpha-op",\n {4}"defaultChannel": "stable"\n\}\n\{\n/);
    const objects = objectsOf(path.join(dir, 'alpha-op', 'catalog.json'));
    assert.deepEqual(
      objects.map((o) => `${o.schema} ${o.name}`),
      ['olm.package alpha-op', 'olm.channel fast', 'olm.channel stable', 'olm.bundle alpha-op.v0.1.0', 'olm.bundle alpha-op.v0.2.0', 'olm.bundle alpha-op.v0.3.0'],
    );
    const stable = objects.find((o) => o.schema === 'olm.channel' && o.name === 'stable')!;
    assert.deepEqual(stable.entries, [
      { name: 'alpha-op.v0.1.0' },
      { name: 'alpha-op.v0.2.0', replaces: 'alpha-op.v0.1.0' },
      { name: 'alpha-op.v0.3.0', replaces: 'alpha-op.v0.2.0', skips: ['alpha-op.v0.2.5'] },
    ]);
    const head = objects.find((o) => o.name === 'alpha-op.v0.3.0')!;
    assert.deepEqual(Object.keys(head), ['schema', 'name', 'package', 'image', 'properties', 'relatedImages']);
    assert.equal(head.image, '');
    const types = head.properties.map((p: { type: string }) => p.type);
    assert.deepEqual(types, ['olm.package', 'olm.bundle.object']);
    assert.deepEqual(head.properties[0].value, { packageName: 'alpha-op', version: '0.3.0' });
    const csv = JSON.parse(Buffer.from(head.properties[1].value.data, 'base64').toString('utf8'));
    assert.equal(csv.kind, 'ClusterServiceVersion');
    assert.deepEqual(head.relatedImages, [
      { name: '', image: 'quay.io/example/alpha:0.3.0' },
      { name: 'img0', image: 'quay.io/example/helper:1' },
    ]);
  });

  test('-o yaml: the same objects, one YAML document each', async () => {
    const json = path.join(tempDir(), 'j');
    const yaml = path.join(tempDir(), 'y');
    assert.equal((await ferryAsync(['registry', 'migrate', database, json])).status, 0);
    const r = await ferryAsync(['registry', 'migrate', database, yaml, '-o', 'yaml']);
    assert.equal(r.status, 0, r.stderr);
    const { loadAll } = await import('js-yaml');
    const text = readFileSync(path.join(yaml, 'beta-op', 'catalog.yaml'), 'utf8');
    assert.ok(text.startsWith('---\ndefaultChannel: alpha\nname: beta-op\nschema: olm.package\n---\n'), text.slice(0, 200));
    assert.deepEqual(loadAll(text), objectsOf(path.join(json, 'beta-op', 'catalog.json')));
  });

  test('a bundle whose csv and bundle columns were cleared (semver mode) renders without objects', async () => {
    const copy = path.join(tempDir(), 'index.db');
    writeFileSync(copy, readFileSync(database));
    await runChecked('sqlite3', [copy, "UPDATE operatorbundle SET csv=NULL, bundle=NULL, bundlepath='quay.io/example/alpha-bundle:0.1.0' WHERE name='alpha-op.v0.1.0'"]);
    const dir = path.join(tempDir(), 'c');
    assert.equal((await ferryAsync(['registry', 'migrate', copy, dir])).status, 0);
    const cleared = objectsOf(path.join(dir, 'alpha-op', 'catalog.json')).find((o) => o.name === 'alpha-op.v0.1.0')!;
    assert.equal(cleared.image, 'quay.io/example/alpha-bundle:0.1.0');
    assert.deepEqual(cleared.properties, [{ type: 'olm.package', value: { packageName: 'alpha-op', version: '0.1.0' } }]);
    assert.deepEqual(cleared.relatedImages, [{ name: '', image: 'quay.io/example/alpha:0.1.0' }]);
  });

  test('a catalog image: the same folder as its database', async () => {
    const ref = `${registry.host}/olm/sqlite:v1`;
    const built = await ferryAsync(['registry', 'build', '--from-db', database, '--from', `${registry.host}/operator-framework/opm:v1.73.0`, '--to', ref, '--json']);
    assert.equal(built.status, 0, built.stderr);
    assert.deepEqual(built.json!.warnings, []);
    const fromImage = path.join(tempDir(), 'i');
    const fromDb = path.join(tempDir(), 'd');
    const r = await ferryAsync(['registry', 'migrate', ref, fromImage, '--json']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.json!.result.sourceKind, 'image');
    assert.equal((await ferryAsync(['registry', 'migrate', database, fromDb])).status, 0);
    sameTree(fromImage, fromDb);
  });

  test('a failed migrate leaves no output; a non-empty folder is refused', async () => {
    const parent = tempDir();
    const broken = path.join(parent, 'broken.db');
    writeFileSync(broken, readFileSync(database));
    await runChecked('sqlite3', [broken, "UPDATE operatorbundle SET bundle='{\"kind\":\"ClusterServiceVersion\"' WHERE name='beta-op.v1.0.0'"]);
    const r = await ferryAsync(['registry', 'migrate', broken, path.join(parent, 'out'), '--json']);
    assert.notEqual(r.status, 0);
    assert.equal(r.json!.error.code, 'INVALID_CATALOG');
    assert.deepEqual(readdirSync(parent), ['broken.db']);

    const full = path.join(parent, 'full');
    mkdirSync(full);
    writeFileSync(path.join(full, 'keep'), 'x');
    const refused = await ferryAsync(['registry', 'migrate', database, full, '--json']);
    assert.equal(refused.json!.error.code, 'OUTPUT_EXISTS');
    assert.deepEqual(readdirSync(full), ['keep']);
  });
});

describe('registry build --output-format fbc', () => {
  test('pushed: /configs layer, configs label, opm serve command, port; registry images reads it', async () => {
    const ref = `${registry.host}/olm/fbc:v1`;
    const built = await ferryAsync(['registry', 'build', '--from-dir', manifests, '--output-format', 'fbc', '--from', latestBase, '--to', ref, '--json']);
    assert.equal(built.status, 0, built.stderr);
    assert.deepEqual(built.json!.warnings, [], 'opm:latest serves file-based catalogs: no warning');
    assert.equal(built.json!.result.image.format, 'fbc');
    const config = JSON.parse((await runChecked('skopeo', ['--insecure-policy', 'inspect', '--config', '--tls-verify=false', `docker://${ref}`])).stdout) as {
      config: { Labels: Record<string, string>; Entrypoint: string[]; Cmd: string[]; ExposedPorts: Record<string, object> };
    };
    assert.equal(config.config.Labels['operators.operatorframework.io.index.configs.v1'], '/configs');
    assert.equal(config.config.Labels['operators.operatorframework.io.index.database.v1'], undefined);
    assert.deepEqual(config.config.Entrypoint, ['/bin/opm']);
    assert.deepEqual(config.config.Cmd, ['serve', '/configs', '--cache-dir=/tmp/cache']);
    assert.deepEqual(Object.keys(config.config.ExposedPorts), ['50051/tcp']);

    // The layer as a container runtime sees it: skopeo pulls, umoci unpacks.
    const out = tempDir();
    await runChecked('skopeo', ['--insecure-policy', 'copy', '--src-tls-verify=false', `docker://${ref}`, `oci:${out}/layout:c`]);
    await runChecked('umoci', ['raw', 'unpack', '--rootless', '--image', `${out}/layout:c`, `${out}/root`]);
    const migrated = path.join(tempDir(), 'm');
    assert.equal((await ferryAsync(['registry', 'migrate', database, migrated])).status, 0);
    sameTree(path.join(out, 'root', 'configs'), migrated);
    const layers = JSON.parse((await runChecked('skopeo', ['--insecure-policy', 'inspect', '--raw', '--tls-verify=false', `docker://${ref}`])).stdout).layers as Array<{ digest: string }>;
    const tar = await runChecked('sh', ['-c', `tar -tzf ${out}/layout/blobs/sha256/${layers.at(-1)!.digest.slice(7)}`]);
    assert.deepEqual(tar.stdout.trim().split('\n'), ['configs/', 'configs/alpha-op/', 'configs/alpha-op/catalog.json', 'configs/beta-op/', 'configs/beta-op/catalog.json']);

    const fromDb = await ferryAsync(['registry', 'images', '--from-db', database, '--json']);
    const images = await ferryAsync(['registry', 'images', '--from', ref, '--json']);
    assert.equal(images.status, 0, images.stderr);
    assert.equal(images.json!.result.catalog.kind, 'fbc');
    assert.deepEqual(images.json!.result.images, [...fromDb.json!.result.images, ref].sort());

    const again = await ferryAsync(['registry', 'build', '--from-dir', manifests, '--output-format', 'fbc', '--binary-image', latestBase, '--to', `${registry.host}/olm/fbc:again`, '--json']);
    assert.equal(again.status, 0, again.stderr);
    assert.equal(again.json!.result.image.digest, built.json!.result.image.digest, '--binary-image is --from; same input, same digest');
  });

  test('saved as a tarball, and database-only (--save DIR → DIR/configs)', async () => {
    const tarball = path.join(tempDir(), 'fbc.tar');
    const saved = await ferryAsync(['registry', 'build', '--from-dir', manifests, '--output-format', 'fbc', '--from', latestBase, '--save', tarball, '--tag', 'example.com/olm/fbc:v1', '--json']);
    assert.equal(saved.status, 0, saved.stderr);
    const listed = await ferryAsync(['registry', 'images', '--from-archive', tarball, '--json']);
    assert.equal(listed.status, 0, listed.stderr);
    assert.equal(listed.json!.result.catalog.kind, 'fbc');
    assert.ok(listed.json!.result.images.includes('quay.io/example/helper:1'));

    const dir = tempDir();
    const only = await ferryAsync(['registry', 'build', '--from-dir', manifests, '--output-format', 'fbc', '--db-only', '--save', dir, '--json']);
    assert.equal(only.status, 0, only.stderr);
    assert.equal(only.json!.result.configs, path.join(dir, 'configs'));
    assert.ok(!existsSync(path.join(dir, 'index.db')));
    const migrated = path.join(tempDir(), 'm');
    assert.equal((await ferryAsync(['registry', 'migrate', database, migrated])).status, 0);
    sameTree(path.join(dir, 'configs'), migrated);
    // Built again over the existing folder: replaced whole.
    assert.equal((await ferryAsync(['registry', 'build', '--from-dir', manifests, '--output-format', 'fbc', '--db-only', '--save', dir])).status, 0);
    assert.deepEqual(readdirSync(dir), ['configs']);
  });
});

describe('default base and the opm:latest warning', () => {
  test('sqlite defaults to the pinned opm that serves sqlite; --help says so', async () => {
    assert.equal(DEFAULT_BASE_IMAGE, 'quay.io/operator-framework/opm:v1.73.0');
    assert.equal(defaultBaseImage('sqlite'), DEFAULT_BASE_IMAGE);
    assert.equal(defaultBaseImage('fbc'), 'quay.io/operator-framework/opm:latest');
    for (const command of [['registry', 'build'], ['pack']]) {
      const help = await ferryAsync([...command, '--help']);
      assert.match(help.stdout.replace(/\s+/g, ' '), /quay\.io\/operator-framework\/opm:v1\.73\.0/, command.join(' '));
    }
  });

  test('a sqlite catalog on operator-framework/opm:latest (or untagged) is built, with a warning', async () => {
    for (const base of [latestBase, `${registry.host}/operator-framework/opm`]) {
      const r = await ferryAsync(['registry', 'build', '--from-db', database, '--from', base, '--to', `${registry.host}/olm/warned:v1`, '--json']);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.json!.warnings.length, 1, base);
      assert.match(r.json!.warnings[0], /no longer serves sqlite.*opm:v1\.73\.0/);
    }
    assert.equal(latestOpmBaseWarning('quay.io/operator-framework/opm:v1.73.0', 'sqlite'), undefined);
    assert.equal(latestOpmBaseWarning('quay.io/operator-framework/opm@sha256:' + 'a'.repeat(64), 'sqlite'), undefined);
    assert.equal(latestOpmBaseWarning('quay.io/operator-framework/opm:latest', 'fbc'), undefined);
    assert.equal(latestOpmBaseWarning('quay.io/example/opm:latest', 'sqlite'), undefined);
    assert.ok(latestOpmBaseWarning('docker://quay.io/operator-framework/opm', 'sqlite'));
  });
});

describe('flags opm users type', () => {
  test('--skip-tls-verify turns verification off; --use-http is --plain-http; =true/=false spellings', async () => {
    assert.equal(registryOptions({ 'skip-tls-verify': true }).tlsVerify, false);
    assert.equal(registryOptions({ 'skip-tls-verify': true, 'tls-verify': true }).tlsVerify, false);
    assert.equal(registryOptions({}).tlsVerify, true);
    const both = copyRegistryOptions({ 'skip-tls-verify': true });
    assert.deepEqual([both.source.tlsVerify, both.destination.tlsVerify], [false, false]);
    assert.deepEqual(rewriteBooleanAssignments(['--skip-tls-verify=true', '--use-http=false', '--use-http=true', '--tls-verify=false']), ['--skip-tls-verify', '--use-http', '--no-tls-verify']);

    const ref = `${registry.host}/olm/flags:v1`;
    const built = await ferryAsync(['registry', 'build', '--from-db', database, '--binary-image', `${registry.host}/operator-framework/opm:v1.73.0`, '--to', ref, '--use-http', '--skip-tls-verify', '--json']);
    assert.equal(built.status, 0, built.stderr);
    assert.equal(built.json!.result.image.base.reference, `${registry.host}/operator-framework/opm:v1.73.0`);
    const listed = await ferryAsync(['registry', 'images', '--from', ref, '--use-http', '--skip-tls', '--json']);
    assert.equal(listed.status, 0, listed.stderr);
    const migrated = await ferryAsync(['registry', 'migrate', ref, path.join(tempDir(), 'x'), '--skip-tls-verify=true', '--use-http', '--json']);
    assert.equal(migrated.status, 0, migrated.stderr);
  });
});
