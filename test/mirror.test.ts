/**
 * Mirroring: destination names (the design's scheme and oc's --max-components scheme), mapping.txt,
 * cluster manifests (ICSP, IDMS, ITMS, CatalogSource) checked byte for byte against golden files and
 * against JSON Schemas derived from the real CRDs, splitting under 250,000 bytes, and writing.
 * Set FERRY_UPDATE_GOLDEN=1 to rewrite test/golden/mirror/ from the current output.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parseYamlStream } from '../src/catalog/manifests/yaml.js';
import { ExitCode, FerryError, InvalidInputError, UsageError } from '../src/errors.js';
import { buildClusterManifests, CLUSTER_MANIFEST_FILES, type ClusterManifestsInput } from '../src/mirror/cluster-manifests.js';
import { parseMappings } from '../src/mirror/mapping-file.js';
import { buildMapping, formatMappingFile, MAPPING_FILE_HEADER } from '../src/mirror/mapping.js';
import { digestTag, fnv1a32, mirrorReference, mirrorRepository, type NamingOptions } from '../src/mirror/naming.js';
import { MAX_OBJECT_BYTES, splitObjects, toYaml } from '../src/mirror/split-objects.js';
import { validateClusterManifest, validateClusterObject } from '../src/mirror/validate-manifests.js';
import { writeManifestFiles } from '../src/mirror/write-manifests.js';
import { formatReference, parseReference } from '../src/oci/reference.js';
import { repoRoot, tempDir } from './helpers/paths.js';

const goldenDir = path.join(repoRoot, 'test', 'golden', 'mirror');
const A = `sha256:${'a'.repeat(64)}`;
const B = `sha256:${'b'.repeat(64)}`;
const C = `sha256:${'c'.repeat(64)}`;
const TO = 'localhost:5000/community-operators';

function golden(name: string, actual: string): void {
  const file = path.join(goldenDir, name);
  if (process.env.FERRY_UPDATE_GOLDEN === '1') {
    mkdirSync(goldenDir, { recursive: true });
    writeFileSync(file, actual);
  }
  assert.equal(actual, readFileSync(file, 'utf8'), `${name} differs from ${file}`);
}

/** Independent FNV-1a 32 (BigInt arithmetic, code-point loop over ASCII) to check the library's. */
function fnvReference(text: string): string {
  let h = 0x811c9dc5n;
  for (const ch of text) {
    h ^= BigInt(ch.charCodeAt(0));
    h = (h * 0x01000193n) % 0x100000000n;
  }
  return h.toString(16);
}

function repo(ref: string, options: NamingOptions): string {
  return mirrorRepository(parseReference(ref), options);
}

function dest(ref: string, options: NamingOptions): string {
  return formatReference(mirrorReference(parseReference(ref), options));
}

function expectError(fn: () => unknown, type: new (...args: never[]) => FerryError, exitCode: number, pattern: RegExp): FerryError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof type, `expected ${type.name}, got ${String(caught)}`);
  assert.equal(caught.exitCode, exitCode);
  assert.match(caught.message, pattern);
  return caught;
}

/** Every object of every file, read back as the cluster (go-yaml) reads it. */
function objectsOf(files: Array<{ name: string; content: string }>): Array<{ file: string; object: Record<string, unknown> }> {
  return files.flatMap((f) => parseYamlStream(f.content).map((object) => ({ file: f.name, object: object as Record<string, unknown> })));
}

function assertAllValid(files: Array<{ name: string; content: string }>): void {
  for (const f of files) assert.deepEqual(validateClusterManifest(f.content, f.name), [], `${f.name} fails its schema`);
}

function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

describe('destination names: the design scheme (host kept, flattened)', () => {
  const design = { to: TO };

  it('the spec example: quay.io/coreos/etcd-operator@sha256 → <to>/quay-io-coreos-etcd-operator', () => {
    assert.equal(repo(`quay.io/coreos/etcd-operator@${A}`, design), 'localhost:5000/community-operators/quay-io-coreos-etcd-operator');
    assert.equal(repo('quay.io/coreos/etcd@sha256:' + 'f'.repeat(64), design), 'localhost:5000/community-operators/quay-io-coreos-etcd');
  });

  it('every . and / of the source repository (host included) becomes -; ports, case and IPv6 give valid names', () => {
    assert.equal(repo('registry.redhat.io/a/b/c:1', design), 'localhost:5000/community-operators/registry-redhat-io-a-b-c');
    assert.equal(repo('quay.io/a.b/c_d:1', design), 'localhost:5000/community-operators/quay-io-a-b-c_d');
    assert.equal(repo('localhost:5000/x/y:1', design), 'localhost:5000/community-operators/localhost-5000-x-y');
    assert.equal(repo('Registry.Example.COM/x:1', design), 'localhost:5000/community-operators/registry-example-com-x');
    assert.equal(repo('[fe80::1]:5000/x:1', design), 'localhost:5000/community-operators/fe80--1--5000-x');
    // quay.io/foo/bar and registry.redhat.io/foo/bar stay apart (they collide in oc's scheme)
    assert.notEqual(repo('quay.io/foo/bar:1', design), repo('registry.redhat.io/foo/bar:1', design));
  });

  it('--to may be a bare registry or have several namespace levels', () => {
    assert.equal(repo('quay.io/coreos/etcd:1', { to: 'mirror.example.com' }), 'mirror.example.com/quay-io-coreos-etcd');
    assert.equal(repo('quay.io/coreos/etcd:1', { to: 'mirror:5000/a/b' }), 'mirror:5000/a/b/quay-io-coreos-etcd');
  });

  it('short names normalize first', () => {
    assert.equal(dest('strimzi/operator:0.12.2', design), 'localhost:5000/community-operators/docker-io-strimzi-operator:0.12.2');
    assert.equal(dest('busybox', design), 'localhost:5000/community-operators/docker-io-library-busybox:latest');
    assert.equal(dest('index.docker.io/library/busybox:1', design), 'localhost:5000/community-operators/docker-io-library-busybox:1');
  });
});

describe("destination names: oc's scheme (--max-components)", () => {
  it('the spec examples: default 2, then 3 and 0 (no limit)', () => {
    assert.equal(repo(`quay.io/coreos/etcd@${A}`, { to: 'localhost:5000/ns', maxComponents: 2 }), 'localhost:5000/ns/coreos-etcd');
    assert.equal(repo('registry.redhat.io/a/b/c:1', { to: 'mirror:5000/olm', maxComponents: 2 }), 'mirror:5000/olm/a-b-c');
    assert.equal(repo('registry.redhat.io/a/b/c:1', { to: 'mirror:5000/olm', maxComponents: 3 }), 'mirror:5000/olm/a/b-c');
    assert.equal(repo('registry.redhat.io/a/b/c:1', { to: 'mirror:5000/olm', maxComponents: 0 }), 'mirror:5000/olm/a/b/c');
  });

  it("the host is dropped, so quay.io/foo/bar and registry.redhat.io/foo/bar collide (the known complaint)", () => {
    const oc = { to: 'mirror:5000/olm', maxComponents: 2 };
    assert.equal(repo('quay.io/foo/bar:1', oc), 'mirror:5000/olm/foo-bar');
    assert.equal(repo('registry.redhat.io/foo/bar:1', oc), 'mirror:5000/olm/foo-bar');
  });

  it("--to's namespaces count towards the limit, as in oc; short paths are kept whole", () => {
    assert.equal(repo('quay.io/coreos/etcd:1', { to: 'mirror:5000/a/b/c', maxComponents: 2 }), 'mirror:5000/a/b-c-coreos-etcd');
    assert.equal(repo('quay.io/coreos/etcd:1', { to: 'mirror:5000', maxComponents: 2 }), 'mirror:5000/coreos/etcd');
    assert.equal(repo('quay.io/coreos/etcd:1', { to: 'mirror:5000', maxComponents: 1 }), 'mirror:5000/coreos-etcd');
    assert.equal(repo('quay.io/coreos/etcd:1', { to: 'mirror:5000/olm', maxComponents: 5 }), 'mirror:5000/olm/coreos/etcd');
  });

  it('short names normalize first', () => {
    assert.equal(dest('strimzi/operator:0.12.2', { to: 'mirror:5000/olm', maxComponents: 2 }), 'mirror:5000/olm/strimzi-operator:0.12.2');
    assert.equal(dest('busybox', { to: 'mirror:5000/olm', maxComponents: 0 }), 'mirror:5000/olm/library/busybox:latest');
    assert.equal(dest('busybox', { to: 'mirror:5000/olm', maxComponents: 3 }), 'mirror:5000/olm/library/busybox:latest');
  });
});

describe('destination tags', () => {
  it('fnv1a32 is 32-bit FNV-1a: the published test vectors', () => {
    assert.equal(fnv1a32(''), 0x811c9dc5);
    assert.equal(fnv1a32('a'), 0xe40c292c);
    assert.equal(fnv1a32('foobar'), 0xbf9cf968);
  });

  it("a digest-only source gets oc's tag: FNV-1a 32 of the normalized reference, lowercase hex, no padding", () => {
    const source = `quay.io/coreos/etcd-operator@${A}`;
    // computed independently (Python: h ^= b; h = h * 16777619 mod 2^32, from 2166136261)
    assert.equal(fnvReference(source), '35fed2a6');
    assert.equal(dest(source, { to: TO }), 'localhost:5000/community-operators/quay-io-coreos-etcd-operator:35fed2a6');
    assert.equal(dest(source, { to: 'mirror:5000/olm', maxComponents: 2 }), 'mirror:5000/olm/coreos-etcd-operator:35fed2a6');
    // the short spelling hashes its normalized form
    assert.equal(digestTag(parseReference(`busybox@sha256:${'0'.repeat(64)}`)), fnvReference(`docker.io/library/busybox@sha256:${'0'.repeat(64)}`));
    assert.equal(fnvReference(`docker.io/library/busybox@sha256:${'0'.repeat(64)}`), '3f7d79ff');
    // no padding: a hash below 0x10000000 has fewer than 8 digits
    const short = Array.from({ length: 400 }, (_, i) => `quay.io/x/y${i}@${A}`).find((s) => fnvReference(s).length < 8)!;
    assert.ok(short, 'some reference hashes to fewer than 8 hex digits');
    assert.equal(mirrorReference(parseReference(short), { to: TO }).tag, fnvReference(short));
  });

  it('a tagged source keeps its tag, also when it has a digest too; the destination has no digest', () => {
    assert.deepEqual(mirrorReference(parseReference('quay.io/coreos/etcd:v1'), { to: TO }), { domain: 'localhost:5000', path: 'community-operators/quay-io-coreos-etcd', tag: 'v1' });
    const both = mirrorReference(parseReference(`quay.io/coreos/etcd:v1@${A}`), { to: TO });
    assert.equal(both.tag, 'v1');
    assert.equal(both.digest, undefined);
  });
});

describe('bad --to and --max-components', () => {
  const bad = ['', 'docker://localhost:5000/x', 'localhost:5000/x/', 'localhost:5000//x', 'localhost:5000/Upper', 'localhost:5000/x:v1', `localhost:5000/x@${A}`, 'bad_host/x', 'local host/x', 'localhost:5000/-x'];
  for (const to of bad) {
    it(`--to=${JSON.stringify(to)} is a usage error (exit 2)`, () => {
      expectError(() => repo('quay.io/a/b:1', { to }), UsageError, ExitCode.usage, /invalid --to/);
      expectError(() => buildMapping(['quay.io/a/b:1'], { to }), UsageError, ExitCode.usage, /invalid --to/);
    });
  }

  it('the error says what is wrong and how to write it', () => {
    const err = expectError(() => repo('quay.io/a/b:1', { to: 'docker://localhost:5000/x' }), UsageError, ExitCode.usage, /"docker:\/\/" prefix/);
    assert.deepEqual(err.suggestions, ['use --to=localhost:5000/x']);
  });

  it('--max-components must be a whole number ≥ 0', () => {
    for (const maxComponents of [-1, 1.5, Number.NaN]) {
      expectError(() => buildMapping([], { to: TO, maxComponents }), UsageError, ExitCode.usage, /invalid --max-components/);
    }
  });

  it('a destination longer than a repository name may be is invalid input (exit 3)', () => {
    const long = `quay.io/${'a'.repeat(120)}/${'b'.repeat(120)}:1`;
    assert.throws(() => repo(long, { to: TO }), (err: unknown) => err instanceof FerryError && err.exitCode === ExitCode.invalidInput && /longer than 255/.test(err.message));
    expectError(() => buildMapping([long], { to: TO }), InvalidInputError, ExitCode.invalidInput, /longer than 255/);
  });
});

/** A small fixed catalog: digest-only, tag-only, a repository referenced both ways, short names, duplicates. */
const GOLDEN_IMAGES = [
  `quay.io/coreos/etcd-operator@${A}`,
  `quay.io/coreos/etcd-operator@${B}`,
  'quay.io/coreos/etcd-operator:v0.9.4',
  `quay.io/operatorhubio/catalog@${C}`,
  `registry.redhat.io/rhel8/postgresql-12@${B}`,
  'strimzi/operator:0.12.2',
  'docker.io/strimzi/operator:0.12.2',
  'busybox',
  `gcr.io/kubebuilder/kube-rbac-proxy:v0.8.0@${C}`,
];

describe('mapping.txt', () => {
  it('golden: the fixed list maps to exactly the expected text', () => {
    const { mappings, warnings } = buildMapping(GOLDEN_IMAGES, { to: TO });
    assert.deepEqual(warnings, []);
    const text = formatMappingFile(mappings);
    assert.equal(
      text,
      [
        MAPPING_FILE_HEADER,
        'docker.io/library/busybox:latest=localhost:5000/community-operators/docker-io-library-busybox:latest',
        'docker.io/strimzi/operator:0.12.2=localhost:5000/community-operators/docker-io-strimzi-operator:0.12.2',
        `gcr.io/kubebuilder/kube-rbac-proxy:v0.8.0@${C}=localhost:5000/community-operators/gcr-io-kubebuilder-kube-rbac-proxy:v0.8.0`,
        'quay.io/coreos/etcd-operator:v0.9.4=localhost:5000/community-operators/quay-io-coreos-etcd-operator:v0.9.4',
        `quay.io/coreos/etcd-operator@${A}=localhost:5000/community-operators/quay-io-coreos-etcd-operator:35fed2a6`,
        `quay.io/coreos/etcd-operator@${B}=localhost:5000/community-operators/quay-io-coreos-etcd-operator:${fnvReference(`quay.io/coreos/etcd-operator@${B}`)}`,
        `quay.io/operatorhubio/catalog@${C}=localhost:5000/community-operators/quay-io-operatorhubio-catalog:${fnvReference(`quay.io/operatorhubio/catalog@${C}`)}`,
        `registry.redhat.io/rhel8/postgresql-12@${B}=localhost:5000/community-operators/registry-redhat-io-rhel8-postgresql-12:${fnvReference(`registry.redhat.io/rhel8/postgresql-12@${B}`)}`,
        '',
      ].join('\n'),
    );
    golden('mapping.txt', text);
  });

  it("oc's scheme on the same list", () => {
    const { mappings } = buildMapping(GOLDEN_IMAGES, { to: 'mirror:5000/olm', maxComponents: 2 });
    assert.deepEqual(
      mappings.map((m) => m.destination.replace(/:[0-9a-f]{6,8}$/, ':<fnv>')),
      [
        'mirror:5000/olm/library-busybox:latest',
        'mirror:5000/olm/strimzi-operator:0.12.2',
        'mirror:5000/olm/kubebuilder-kube-rbac-proxy:v0.8.0',
        'mirror:5000/olm/coreos-etcd-operator:v0.9.4',
        'mirror:5000/olm/coreos-etcd-operator:<fnv>',
        'mirror:5000/olm/coreos-etcd-operator:<fnv>',
        'mirror:5000/olm/operatorhubio-catalog:<fnv>',
        'mirror:5000/olm/rhel8-postgresql-12:<fnv>',
      ],
    );
  });

  it('round-trips through the mapping-file reader', () => {
    const { mappings } = buildMapping(GOLDEN_IMAGES, { to: TO });
    const read = parseMappings(formatMappingFile(mappings), 'mapping.txt');
    assert.deepEqual(
      read.map((m) => ({ source: m.source, destination: m.destination })),
      mappings,
    );
    assert.deepEqual(
      read.map((m) => m.line),
      mappings.map((_, i) => i + 2),
    );
  });

  it('SRC keeps @sha256 for digest references, DST carries a tag and every destination tag appears once', () => {
    const { mappings } = buildMapping(GOLDEN_IMAGES, { to: TO });
    for (const m of mappings) {
      const src = parseReference(m.source);
      const dst = parseReference(m.destination);
      assert.ok(dst.tag !== undefined && dst.digest === undefined, m.destination);
      if (m.source.includes('@')) assert.equal(src.digest !== undefined, true);
    }
    assert.equal(new Set(mappings.map((m) => m.destination)).size, mappings.length);
  });

  it('deterministic: the same images in another order, or spelled differently, give the same bytes', () => {
    const text = formatMappingFile(buildMapping(GOLDEN_IMAGES, { to: TO }).mappings);
    for (const seed of [1, 2, 3]) {
      assert.equal(formatMappingFile(buildMapping(shuffled(GOLDEN_IMAGES, seed), { to: TO }).mappings), text);
    }
    assert.equal(formatMappingFile(shuffled(buildMapping(GOLDEN_IMAGES, { to: TO }).mappings, 9)), text);
  });

  it('two different sources mapped to the same destination tag are an error naming both', () => {
    const err = expectError(
      () => buildMapping(['quay.io/foo/bar:v1', 'registry.redhat.io/foo/bar:v1', 'quay.io/foo/bar:v2'], { to: 'mirror:5000/olm', maxComponents: 2 }),
      InvalidInputError,
      ExitCode.invalidInput,
      /mirror:5000\/olm\/foo-bar:v1/,
    );
    assert.equal((err as InvalidInputError).problems.length, 1);
    assert.match(err.message, /quay\.io\/foo\/bar:v1, registry\.redhat\.io\/foo\/bar:v1/);
    // a tag and the same tag pinned to a digest claim one destination tag too
    expectError(() => buildMapping(['quay.io/foo/bar:v1', `quay.io/foo/bar:v1@${A}`], { to: TO }), InvalidInputError, ExitCode.invalidInput, /claimed by 2 sources/);
  });

  it('source repositories sharing a destination repository (digests, no tag clash) are a warning', () => {
    const { mappings, warnings } = buildMapping([`quay.io/foo/bar@${A}`, `registry.redhat.io/foo/bar@${B}`], { to: 'mirror:5000/olm', maxComponents: 2 });
    assert.equal(mappings.length, 2);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /mirror:5000\/olm\/foo-bar receives images from 2 source repositories \(quay\.io\/foo\/bar, registry\.redhat\.io\/foo\/bar\)/);
  });

  it('every invalid image is listed, and nothing is mapped', () => {
    const err = expectError(() => buildMapping(['quay.io/ok:1', 'Quay.io/UPPER/x', 'a b', `quay.io/x@sha256:123`], { to: TO }), InvalidInputError, ExitCode.invalidInput, /no mapping was made/);
    assert.deepEqual(
      (err as InvalidInputError).problems.map((p) => p.file),
      ['Quay.io/UPPER/x', 'a b', 'quay.io/x@sha256:123'],
    );
  });
});

const GOLDEN_CATALOG: ClusterManifestsInput['catalog'] = {
  source: `quay.io/operatorhubio/catalog@${C}`,
  mirrored: `localhost:5000/community-operators/quay-io-operatorhubio-catalog:${fnvReference(`quay.io/operatorhubio/catalog@${C}`)}`,
};

function goldenInput(): ClusterManifestsInput {
  return {
    mappings: buildMapping(GOLDEN_IMAGES, { to: TO }).mappings,
    catalog: GOLDEN_CATALOG,
    catalogName: 'community-operators',
    displayName: 'Community Operators',
    publisher: 'OperatorHub.io',
    mirrorSourcePolicy: 'AllowContactingSource',
  };
}

describe('cluster manifests', () => {
  it('golden: the four files, byte for byte', () => {
    const { files, omitted } = buildClusterManifests(goldenInput());
    assert.deepEqual(
      files.map((f) => f.name),
      ['imageContentSourcePolicy.yaml', 'imageDigestMirrorSet.yaml', 'imageTagMirrorSet.yaml', 'catalogSource.yaml'],
    );
    assert.deepEqual(omitted, []);
    for (const f of files) golden(f.name, f.content);
    assert.deepEqual(readdirSync(goldenDir).sort(), ['catalogSource.yaml', 'imageContentSourcePolicy.yaml', 'imageDigestMirrorSet.yaml', 'imageTagMirrorSet.yaml', 'mapping.txt']);
  });

  it('the ICSP as the spec shows it: label, one entry per source repository', () => {
    const { files } = buildClusterManifests(goldenInput());
    const [icsp] = objectsOf(files.filter((f) => f.name === 'imageContentSourcePolicy.yaml')).map((o) => o.object) as Array<{
      metadata: { name: string; labels: Record<string, string> };
      spec: { repositoryDigestMirrors: Array<{ source: string; mirrors: string[] }> };
    }>;
    assert.deepEqual(icsp!.metadata, { name: 'community-operators-0', labels: { 'operators.openshift.org/catalog': 'true' } });
    assert.deepEqual(icsp!.spec.repositoryDigestMirrors, [
      { source: 'gcr.io/kubebuilder/kube-rbac-proxy', mirrors: ['localhost:5000/community-operators/gcr-io-kubebuilder-kube-rbac-proxy'] },
      { source: 'quay.io/coreos/etcd-operator', mirrors: ['localhost:5000/community-operators/quay-io-coreos-etcd-operator'] },
      { source: 'quay.io/operatorhubio/catalog', mirrors: ['localhost:5000/community-operators/quay-io-operatorhubio-catalog'] },
      { source: 'registry.redhat.io/rhel8/postgresql-12', mirrors: ['localhost:5000/community-operators/registry-redhat-io-rhel8-postgresql-12'] },
    ]);
    assert.match(files[0]!.content, /operators\.openshift\.org\/catalog: "true"/);
  });

  it('digest references go to the ICSP and IDMS, tag-only repositories to the ITMS, no repository in both', () => {
    const objects = objectsOf(buildClusterManifests(goldenInput()).files);
    const sources = (kind: string, key: string): string[] =>
      objects.filter((o) => o.object.kind === kind).flatMap((o) => ((o.object.spec as Record<string, Array<{ source: string }>>)[key] ?? []).map((e) => e.source));
    const idms = sources('ImageDigestMirrorSet', 'imageDigestMirrors');
    const itms = sources('ImageTagMirrorSet', 'imageTagMirrors');
    assert.deepEqual(sources('ImageContentSourcePolicy', 'repositoryDigestMirrors'), idms);
    assert.deepEqual(itms, ['docker.io/library/busybox', 'docker.io/strimzi/operator']);
    assert.deepEqual(
      idms.filter((s) => itms.includes(s)),
      [],
    );
    const cs = objects.find((o) => o.object.kind === 'CatalogSource')!.object;
    assert.deepEqual(cs, {
      apiVersion: 'operators.coreos.com/v1alpha1',
      kind: 'CatalogSource',
      metadata: { name: 'community-operators', namespace: 'openshift-marketplace' },
      spec: { sourceType: 'grpc', image: GOLDEN_CATALOG!.mirrored, displayName: 'Community Operators', publisher: 'OperatorHub.io' },
    });
  });

  it('a warning names every tag reference: tag-only ones are covered by the ITMS only, a mixed repository by nothing', () => {
    const { warnings } = buildClusterManifests(goldenInput());
    assert.equal(warnings.length, 3);
    assert.match(warnings[0]!, /^docker\.io\/library\/busybox:latest is referenced by tag only: the ImageContentSourcePolicy and ImageDigestMirrorSet do not cover it .*the ImageTagMirrorSet does/);
    assert.match(warnings[1]!, /^docker\.io\/strimzi\/operator:0\.12\.2 is referenced by tag only/);
    assert.match(warnings[2]!, /^quay\.io\/coreos\/etcd-operator:v0\.9\.4 is referenced by tag, and quay\.io\/coreos\/etcd-operator also by digest: .*no mirror set covers this tag reference/);
  });

  it('every generated object validates against the CRD-derived schemas (golden input, with and without a policy)', () => {
    for (const mirrorSourcePolicy of ['NeverContactSource', 'AllowContactingSource', undefined] as const) {
      const { files } = buildClusterManifests({ ...goldenInput(), mirrorSourcePolicy });
      assertAllValid(files);
      const hasPolicy = files.some((f) => f.content.includes('mirrorSourcePolicy'));
      assert.equal(hasPolicy, mirrorSourcePolicy !== undefined);
      if (mirrorSourcePolicy) assert.ok(!files.find((f) => f.name === 'imageContentSourcePolicy.yaml')!.content.includes('mirrorSourcePolicy'), 'the ICSP has no mirrorSourcePolicy');
    }
  });

  it('the schemas are not vacuous: broken objects are reported with their fields', () => {
    const [icsp, idms, , cs] = objectsOf(buildClusterManifests(goldenInput()).files).map((o) => o.object);
    const broken = (o: Record<string, unknown>, change: (c: Record<string, any>) => void): Record<string, unknown> => {
      const copy = structuredClone(o) as Record<string, any>;
      change(copy);
      return copy;
    };
    assert.deepEqual(validateClusterObject(broken(icsp!, (c) => (c.metadata.namespace = 'x'))), [
      { file: 'ImageContentSourcePolicy/community-operators-0', field: 'metadata.namespace', message: 'must not be set: the kind is cluster-scoped' },
    ]);
    assert.deepEqual(
      validateClusterObject(broken(idms!, (c) => (c.spec.imageDigestMirrors[0].mirrorSourcePolicy = 'Sometimes'))).map((p) => p.field),
      ['spec.imageDigestMirrors[0].mirrorSourcePolicy'],
    );
    assert.deepEqual(
      validateClusterObject(broken(idms!, (c) => (c.spec.imageDigestMirrors[0].mirrors = ['Bad Mirror']))).map((p) => p.field),
      ['spec.imageDigestMirrors[0].mirrors[0]'],
    );
    assert.deepEqual(validateClusterObject(broken(cs!, (c) => delete c.metadata.name)), [{ file: 'CatalogSource/(no name)', field: 'metadata.name', message: 'is required' }]);
    assert.deepEqual(
      validateClusterObject(broken(cs!, (c) => (c.spec.sourceTyp = 'grpc'))).map((p) => `${p.field}: ${p.message}`),
      ['spec.sourceTyp: is not a field of this kind'],
    );
    assert.deepEqual(
      validateClusterObject(broken(cs!, (c) => (c.apiVersion = 'operators.coreos.com/v1'))).map((p) => p.message),
      ['not a kind ferry validates (apiVersion "operators.coreos.com/v1", kind "CatalogSource")'],
    );
  });

  it('files with no entries are omitted and listed with the reason', () => {
    const digestOnly = buildClusterManifests({ mappings: buildMapping([`quay.io/a/b@${A}`], { to: TO }).mappings, catalog: undefined, catalogName: 'c' });
    assert.deepEqual(
      digestOnly.files.map((f) => f.name),
      ['imageContentSourcePolicy.yaml', 'imageDigestMirrorSet.yaml'],
    );
    assert.deepEqual(digestOnly.omitted, [
      { name: 'imageTagMirrorSet.yaml', reason: 'no repository is referenced by tag only' },
      { name: 'catalogSource.yaml', reason: 'no catalog image was given' },
    ]);
    assert.deepEqual(digestOnly.warnings, []);
    const tagOnly = buildClusterManifests({ mappings: buildMapping(['quay.io/a/b:1'], { to: TO }).mappings, catalog: undefined, catalogName: 'c' });
    assert.deepEqual(
      tagOnly.files.map((f) => f.name),
      ['imageTagMirrorSet.yaml'],
    );
    assert.deepEqual(
      tagOnly.omitted.map((o) => o.name),
      ['imageContentSourcePolicy.yaml', 'imageDigestMirrorSet.yaml', 'catalogSource.yaml'],
    );
    assert.equal(tagOnly.warnings.length, 1);
    assertAllValid([...digestOnly.files, ...tagOnly.files]);
  });

  it('bad catalog names are usage errors (exit 2) with a suggestion', () => {
    const cases: Array<[string, RegExp, string[]]> = [
      ['Community_Operators', /not a DNS-1123 label/, ['use community-operators']],
      ['', /it is empty/, ['choose a name such as my-catalog']],
      ['a'.repeat(64), /64 characters long, over 63/, [`use ${'a'.repeat(63)}`]],
      ['-catalog', /must start and end with a letter or digit/, ['use catalog']],
      ['my.catalog', /only lowercase letters, digits and "-"/, ['use my-catalog']],
    ];
    for (const [catalogName, pattern, suggestions] of cases) {
      const err = expectError(() => buildClusterManifests({ mappings: [], catalog: undefined, catalogName }), UsageError, ExitCode.usage, pattern);
      assert.deepEqual(err.suggestions, suggestions, catalogName);
    }
    assert.doesNotThrow(() => buildClusterManifests({ mappings: [], catalog: undefined, catalogName: 'a'.repeat(63) }));
  });

  it('a bad mirror source policy is a usage error; bad references in the mappings or the catalog are invalid input', () => {
    expectError(
      () => buildClusterManifests({ mappings: [], catalog: undefined, catalogName: 'c', mirrorSourcePolicy: 'Never' as never }),
      UsageError,
      ExitCode.usage,
      /NeverContactSource or AllowContactingSource/,
    );
    const err = expectError(
      () => buildClusterManifests({ mappings: [{ source: 'quay.io/UP/x', destination: 'l:5000/x:1' }, { source: 'quay.io/a/b:1', destination: 'x@y' }], catalog: undefined, catalogName: 'c' }),
      InvalidInputError,
      ExitCode.invalidInput,
      /2 invalid references/,
    );
    assert.deepEqual(
      (err as InvalidInputError).problems.map((p) => p.file),
      ['quay.io/UP/x', 'x@y'],
    );
    expectError(() => buildClusterManifests({ mappings: [], catalog: { source: 'quay.io/a/c:1', mirrored: 'not a ref' }, catalogName: 'c' }), InvalidInputError, ExitCode.invalidInput, /mirrored catalog image/);
  });

  it('deterministic: the same mappings in another order give the same bytes', () => {
    const expected = buildClusterManifests(goldenInput()).files;
    for (const seed of [4, 5, 6]) {
      const input = goldenInput();
      assert.deepEqual(buildClusterManifests({ ...input, mappings: shuffled(input.mappings, seed) }).files, expected);
    }
  });

  it('5000 repositories: split into objects under 250,000 bytes, named -0..-N, every entry exactly once', () => {
    const images: string[] = [];
    for (let i = 0; i < 5000; i++) {
      const org = `organization-${String(i % 37).padStart(3, '0')}`;
      images.push(`registry.example.com/${org}/operator-with-a-rather-long-repository-name-${String(i).padStart(5, '0')}@${A}`);
      if (i % 2 === 0) images.push(`quay.example.org/${org}/tag-only-operand-image-${String(i).padStart(5, '0')}:v1.2.${i}`);
    }
    const { mappings } = buildMapping(shuffled(images, 7), { to: TO });
    const { files, warnings } = buildClusterManifests({ mappings, catalog: undefined, catalogName: 'big-catalog', mirrorSourcePolicy: 'NeverContactSource' });
    assert.equal(warnings.length, 2500);
    const expected: Record<string, { key: string; sources: string[] }> = {
      'imageContentSourcePolicy.yaml': { key: 'repositoryDigestMirrors', sources: images.filter((s) => s.includes('@')).map((s) => s.split('@')[0]!) },
      'imageDigestMirrorSet.yaml': { key: 'imageDigestMirrors', sources: images.filter((s) => s.includes('@')).map((s) => s.split('@')[0]!) },
      'imageTagMirrorSet.yaml': { key: 'imageTagMirrors', sources: images.filter((s) => !s.includes('@')).map((s) => s.replace(/:[^:/]+$/, '')) },
    };
    for (const f of files) {
      const docs = f.content.split(/^---\n/m);
      const objects = parseYamlStream(f.content) as Array<{ metadata: { name: string }; spec: Record<string, Array<{ source: string }>> }>;
      assert.equal(docs.length, objects.length);
      assert.ok(objects.length >= 2, `${f.name} is split (${objects.length} objects)`);
      for (const doc of docs) assert.ok(Buffer.byteLength(doc) < MAX_OBJECT_BYTES, `${f.name}: an object of ${Buffer.byteLength(doc)} bytes`);
      assert.deepEqual(
        objects.map((o) => o.metadata.name),
        objects.map((_, i) => `big-catalog-${i}`),
      );
      const want = expected[f.name]!;
      const sources = objects.flatMap((o) => o.spec[want.key]!.map((e) => e.source));
      assert.deepEqual(sources, [...want.sources].sort(), `${f.name}: every entry once, in order`);
      assertAllValid([f]);
    }
    assert.deepEqual(
      files.map((f) => f.name),
      ['imageContentSourcePolicy.yaml', 'imageDigestMirrorSet.yaml', 'imageTagMirrorSet.yaml'],
    );
    // objects are filled up: all but the last are close to the limit
    const idms = files[1]!.content.split(/^---\n/m);
    for (const doc of idms.slice(0, -1)) assert.ok(Buffer.byteLength(doc) > MAX_OBJECT_BYTES - 1000);
  });
});

describe('splitting objects by YAML size', () => {
  const entries = Array.from({ length: 400 }, (_, i) => ({ source: `quay.io/org/repo-${String(i).padStart(3, '0')}`, mirrors: [`mirror:5000/ns/quay-io-org-repo-${i}`] }));
  const build = (name: string, es: unknown[]) => ({ apiVersion: 'v1', kind: 'List', metadata: { name }, spec: { items: es } });

  it('the per-entry estimate is exact when build places the entries as they are', () => {
    const objects = splitObjects(entries, 'x', build, 5000);
    const sizes = objects.map((o) => Buffer.byteLength(toYaml(o)));
    assert.ok(sizes.every((n) => n < 5000));
    assert.ok(sizes.slice(0, -1).every((n) => n > 5000 - 120), `objects are filled up: ${sizes.join(', ')}`);
    assert.deepEqual(
      objects.flatMap((o) => o.spec.items),
      entries,
    );
    assert.deepEqual(
      objects.map((o) => o.metadata.name),
      objects.map((_, i) => `x-${i}`),
    );
  });

  it('stays under the limit when build makes entries bigger than estimated, each entry once, in order', () => {
    const padded = (name: string, es: Array<{ source: string }>) => build(name, es.map((e) => ({ ...e, note: 'n'.repeat(60) })));
    const objects = splitObjects(entries, 'x', padded, 5000);
    assert.ok(objects.every((o) => Buffer.byteLength(toYaml(o)) < 5000));
    assert.deepEqual(
      objects.flatMap((o) => (o.spec.items as Array<{ source: string }>).map((e) => e.source)),
      entries.map((e) => e.source),
    );
  });

  it('no entries, no objects; an entry alone over the limit is an error', () => {
    assert.deepEqual(splitObjects([], 'x', build), []);
    assert.throws(() => splitObjects(entries, 'x', build, 100), /x-0: a single entry makes the object \d+ bytes of YAML, over the limit of 100/);
  });
});

// That each committed schema equals its derivation from the real CRDs is checked by the conformance
// suite (test/conformance/crd-schemas.test.ts), which has the reference CRDs.
describe('schemas derived from the CRDs', () => {
  it('keep the CRD constraints: enums, patterns, required, int32 bounds, list sets; constrain apiVersion and kind', () => {
    const idms = JSON.parse(readFileSync(path.join(repoRoot, 'schemas', 'imagedigestmirrorset.schema.json'), 'utf8'));
    assert.equal(idms.$schema, 'http://json-schema.org/draft-07/schema#');
    assert.equal(idms.properties.apiVersion.const, 'config.openshift.io/v1');
    assert.equal(idms.properties.kind.const, 'ImageDigestMirrorSet');
    assert.deepEqual(idms.required, ['apiVersion', 'kind', 'metadata', 'spec']);
    assert.deepEqual(idms.properties.metadata.required, ['name']);
    assert.equal(idms.properties.metadata.properties.namespace, false);
    const entry = idms.properties.spec.properties.imageDigestMirrors.items;
    assert.deepEqual(entry.required, ['source']);
    assert.deepEqual(entry.properties.mirrorSourcePolicy.enum, ['NeverContactSource', 'AllowContactingSource']);
    assert.equal(entry.properties.mirrors.uniqueItems, true);
    assert.equal(typeof entry.properties.source.pattern, 'string');
    const text = readFileSync(path.join(repoRoot, 'schemas', 'catalogsource.schema.json'), 'utf8');
    assert.doesNotMatch(text, /x-kubernetes-|"format"/);
    const cs = JSON.parse(text);
    assert.equal(cs.properties.metadata.properties.namespace.pattern, '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$');
    assert.deepEqual(cs.properties.spec.properties.grpcPodConfig.properties.securityContextConfig.enum, ['legacy', 'restricted']);
    // format: int32 becomes the int32 range
    const weight = cs.properties.spec.properties.grpcPodConfig.properties.affinity.properties.nodeAffinity.properties.preferredDuringSchedulingIgnoredDuringExecution.items.properties.weight;
    assert.deepEqual([weight.type, weight.minimum, weight.maximum], ['integer', -2147483648, 2147483647]);
    // an int-or-string pattern sits in the string branch
    assert.deepEqual(cs.properties.spec.properties.grpcPodConfig.properties.memoryTarget.anyOf.map((s: { type: string; pattern?: string }) => [s.type, s.pattern !== undefined]), [
      ['integer', false],
      ['string', true],
    ]);
  });
});

describe('writing the manifest folder', () => {
  const files = [
    { name: 'imageContentSourcePolicy.yaml', content: 'icsp\n' },
    { name: 'imageTagMirrorSet.yaml', content: 'itms\n' },
  ];

  it('writes every file, removes stale manifest files of an earlier run, leaves other files alone', async () => {
    const dir = path.join(tempDir(), 'manifests');
    const first = await writeManifestFiles(dir, [...files, { name: 'catalogSource.yaml', content: 'cs\n' }, { name: 'mapping.txt', content: 'm\n' }]);
    assert.equal(first.written.length, 4);
    writeFileSync(path.join(dir, 'notes.txt'), 'mine\n');
    const second = await writeManifestFiles(dir, [{ name: 'imageContentSourcePolicy.yaml', content: 'icsp2\n' }]);
    assert.deepEqual(second.written, [path.join(dir, 'imageContentSourcePolicy.yaml')]);
    assert.deepEqual(second.removed, [path.join(dir, 'imageTagMirrorSet.yaml'), path.join(dir, 'catalogSource.yaml')]);
    assert.deepEqual(readdirSync(dir).sort(), ['imageContentSourcePolicy.yaml', 'mapping.txt', 'notes.txt']);
    assert.equal(readFileSync(path.join(dir, 'imageContentSourcePolicy.yaml'), 'utf8'), 'icsp2\n');
    // with managedNames, mapping.txt is the writer's too
    const third = await writeManifestFiles(dir, [], { managedNames: [...CLUSTER_MANIFEST_FILES, 'mapping.txt'] });
    assert.deepEqual(readdirSync(dir), ['notes.txt']);
    assert.equal(third.removed.length, 2);
  });

  it('a failure while staging leaves the existing files as they were, and no staged files behind', async () => {
    const dir = tempDir();
    await writeManifestFiles(dir, files);
    const tooLong = `${'x'.repeat(250)}.yaml`; // its staging name passes NAME_MAX
    await assert.rejects(writeManifestFiles(dir, [{ name: 'imageContentSourcePolicy.yaml', content: 'new\n' }, { name: tooLong, content: 'y\n' }]));
    assert.deepEqual(readdirSync(dir).sort(), ['imageContentSourcePolicy.yaml', 'imageTagMirrorSet.yaml']);
    assert.equal(readFileSync(path.join(dir, 'imageContentSourcePolicy.yaml'), 'utf8'), 'icsp\n');
    assert.equal(readFileSync(path.join(dir, 'imageTagMirrorSet.yaml'), 'utf8'), 'itms\n');
  });

  it('a failure while putting files in place says which were replaced and removes the staged rest', async () => {
    const dir = tempDir();
    mkdirSync(path.join(dir, 'catalogSource.yaml', 'blocker'), { recursive: true });
    await assert.rejects(
      writeManifestFiles(dir, [...files, { name: 'catalogSource.yaml', content: 'cs\n' }]),
      (err: unknown) => err instanceof FerryError && /cannot put .*catalogSource\.yaml in place.*already replaced: .*imageContentSourcePolicy\.yaml, .*imageTagMirrorSet\.yaml/.test(err.message),
    );
    assert.deepEqual(readdirSync(dir).sort(), ['catalogSource.yaml', 'imageContentSourcePolicy.yaml', 'imageTagMirrorSet.yaml']);
  });

  it('rejects names that are not plain file names', async () => {
    const dir = tempDir();
    for (const name of ['../x.yaml', 'a/b.yaml', '', '..']) {
      await assert.rejects(writeManifestFiles(dir, [{ name, content: '' }]), /must be a plain file name/);
    }
    await assert.rejects(writeManifestFiles(dir, [files[0]!, files[0]!]), /given twice/);
  });

  it('writes what buildClusterManifests made, and it reads back valid', async () => {
    const dir = tempDir();
    const { files: made } = buildClusterManifests(goldenInput());
    await writeManifestFiles(dir, made);
    for (const f of made) {
      const text = readFileSync(path.join(dir, f.name), 'utf8');
      assert.equal(text, f.content);
      assert.deepEqual(validateClusterManifest(text, f.name), []);
    }
  });
});
