/**
 * Catalog database benchmark (`npm run bench:db`).
 *
 * 1. Generates a deterministic synthetic catalog (200 packages × 10 bundles, bundle-folder layout)
 *    in a fresh temp dir.
 * 2. Runs the real CLI as child processes: `registry build --db-only` over it, then
 *    `registry images` over the database it wrote.
 * 3. Reports wall time and peak RSS of each child against the targets, and writes the same
 *    figures to bench/results/db.json.
 *
 * A missed target is reported as FAIL but does not fail the run; only a failing child does.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

// ---------------------------------------------------------------------------------------------
// Settings

const PACKAGES = 200;
const BUNDLES_PER_PACKAGE = 10;
const SEED = 0x5eed_f322;
const TARGET_WALL_MS = 5_000;
const TARGET_RSS_MB = 300;

/** Source tree: this file is bench/db-bench.ts, compiled to dist/bench/db-bench.js. */
const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = path.resolve(HERE, '..', '..');
const BENCH_DIR = path.join(REPO_ROOT, 'bench');
const CLI = path.join(REPO_ROOT, 'bin', 'run.js');
const PEAK_RSS_HELPER = path.join(BENCH_DIR, 'peak-rss.js');
const RESULTS_DIR = path.join(BENCH_DIR, 'results');

// ---------------------------------------------------------------------------------------------
// Deterministic generation

/** mulberry32: small, fast, seedable PRNG returning floats in [0, 1). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const rand = prng(SEED);
const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)] as T;
const hex = (n: number): string => Array.from({ length: n }, () => Math.floor(rand() * 16).toString(16)).join('');
const digest = (): string => `sha256:${hex(64)}`;

const WORDS = (
  'operator cluster controller reconcile resource custom deploy scale backup restore upgrade ' +
  'namespace workload storage network policy secret certificate metrics monitoring alert replica ' +
  'install lifecycle manage automate configure endpoint service ingress volume snapshot tenant ' +
  'database cache queue stream broker gateway mesh identity audit compliance release channel'
).split(' ');

/** `count` pseudo-random words, wrapped into lines of at most `width` characters. */
function prose(count: number, width = 96): string[] {
  const lines: string[] = [];
  let line = '';
  for (let i = 0; i < count; i++) {
    const word = pick(WORDS);
    if (line.length + word.length + 1 > width) {
      lines.push(line);
      line = '';
    }
    line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') lines.push(line);
  return lines;
}

/** Prose of about `bytes` characters, as a YAML literal block indented by `indent` spaces. */
function block(bytes: number, indent: number): string {
  const pad = ' '.repeat(indent);
  return prose(Math.round(bytes / 8))
    .map((l) => pad + l)
    .join('\n');
}

/** Images shared between packages, so that the listing has to de-duplicate across bundles. */
const SHARED_IMAGES = [
  `registry.access.redhat.com/ubi9/ubi-minimal@${digest()}`,
  `registry.access.redhat.com/ubi9/ubi-micro@${digest()}`,
  'gcr.io/kubebuilder/kube-rbac-proxy:v0.13.1',
  'quay.io/prometheus/node-exporter:v1.7.0',
  'busybox:1.36', // short name, normalized to docker.io/library/busybox:1.36
];

interface Bundle {
  pkg: string;
  index: number;
  channels: string;
}

function annotationsYaml(b: Bundle): string {
  return `annotations:
  operators.operatorframework.io.bundle.mediatype.v1: registry+v1
  operators.operatorframework.io.bundle.manifests.v1: manifests/
  operators.operatorframework.io.bundle.metadata.v1: metadata/
  operators.operatorframework.io.bundle.package.v1: ${b.pkg}
  operators.operatorframework.io.bundle.channels.v1: ${b.channels}
  operators.operatorframework.io.bundle.channel.default.v1: stable
`;
}

const group = (pkg: string): string => `${pkg}.bench.ferry.io`;
const kindOf = (pkg: string): string => `${pkg.replace(/(^|-)(\w)/g, (_m, _d: string, c: string) => c.toUpperCase())}Cluster`;
const pluralOf = (pkg: string): string => `${kindOf(pkg).toLowerCase()}s`;
const crdName = (pkg: string): string => `${pluralOf(pkg)}.${group(pkg)}`;

function crdYaml(pkg: string): string {
  const fields = ['replicas', 'version', 'storageClass', 'retentionDays', 'logLevel', 'tenant'];
  const props = fields
    .map(
      (f, i) => `                ${f}:
                  type: ${i % 2 === 0 ? 'integer' : 'string'}
                  description: ${prose(10).join(' ')}`,
    )
    .join('\n');
  return `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: ${crdName(pkg)}
spec:
  group: ${group(pkg)}
  names:
    kind: ${kindOf(pkg)}
    listKind: ${kindOf(pkg)}List
    plural: ${pluralOf(pkg)}
    singular: ${kindOf(pkg).toLowerCase()}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    subresources:
      status: {}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          apiVersion:
            type: string
          kind:
            type: string
          metadata:
            type: object
          spec:
            type: object
            properties:
${props}
          status:
            type: object
            properties:
              phase:
                type: string
              readyReplicas:
                type: integer
`;
}

/** A ~1 KB alm-examples JSON document (stored in the CSV as a JSON string). */
function almExamples(pkg: string): string {
  const example = {
    apiVersion: `${group(pkg)}/v1`,
    kind: kindOf(pkg),
    metadata: { name: `${pkg}-sample`, namespace: 'default', labels: { app: pkg, tier: 'bench' } },
    spec: {
      replicas: 3,
      version: '1.0.0',
      storageClass: 'standard',
      retentionDays: 14,
      logLevel: 'info',
      tenant: 'default',
      notes: prose(90).join(' '),
    },
  };
  return JSON.stringify([example]);
}

function csvYaml(b: Bundle, packageImages: { operand: string }): string {
  const version = `1.${b.index}.0`;
  const name = `${b.pkg}.v${version}`;
  const replaces = b.index === 0 ? '' : `\n  replaces: ${b.pkg}.v1.${b.index - 1}.0`;
  const operator = `quay.io/ferry-bench/${b.pkg}-operator:v${version}`;
  const operand = `${packageImages.operand}@${digest()}`; // digest reference, unique per bundle
  const agent = `registry.example.com/${b.pkg}/agent:v${version}`; // tag reference
  const shared = pick(SHARED_IMAGES); // shared between packages
  const init = pick(SHARED_IMAGES);
  return `apiVersion: operators.coreos.com/v1alpha1
kind: ClusterServiceVersion
metadata:
  name: ${name}
  namespace: placeholder
  annotations:
    capabilities: Full Lifecycle
    categories: Database, Storage
    certified: "false"
    containerImage: ${operator}
    createdAt: "2024-01-${String((b.index % 28) + 1).padStart(2, '0')}T00:00:00Z"
    description: ${prose(12).join(' ')}
    repository: https://github.com/ferry-bench/${b.pkg}
    support: Ferry Bench
    alm-examples: ${JSON.stringify(almExamples(b.pkg))}
  labels:
    operatorframework.io/arch.amd64: supported
    operatorframework.io/os.linux: supported
spec:
  displayName: ${kindOf(b.pkg)} Operator
  version: ${version}${replaces}
  maturity: stable
  minKubeVersion: 1.25.0
  provider:
    name: Ferry Bench
  maintainers:
  - name: Ferry Bench
    email: bench@ferry.example.com
  links:
  - name: Documentation
    url: https://docs.example.com/${b.pkg}
  keywords:
  - ${pick(WORDS)}
  - ${pick(WORDS)}
  - ${pick(WORDS)}
  description: |
${block(2000, 4)}
  installModes:
  - type: OwnNamespace
    supported: true
  - type: SingleNamespace
    supported: true
  - type: MultiNamespace
    supported: false
  - type: AllNamespaces
    supported: true
  customresourcedefinitions:
    owned:
    - name: ${crdName(b.pkg)}
      version: v1
      kind: ${kindOf(b.pkg)}
      displayName: ${kindOf(b.pkg)}
      description: ${prose(12).join(' ')}
  relatedImages:
  - name: operand
    image: ${operand}
  - name: agent
    image: ${agent}
  - name: shared
    image: ${shared}
  install:
    strategy: deployment
    spec:
      clusterPermissions:
      - serviceAccountName: ${b.pkg}-controller
        rules:
        - apiGroups: ["${group(b.pkg)}"]
          resources: ["${pluralOf(b.pkg)}", "${pluralOf(b.pkg)}/status", "${pluralOf(b.pkg)}/finalizers"]
          verbs: ["create", "delete", "get", "list", "patch", "update", "watch"]
        - apiGroups: [""]
          resources: ["pods", "services", "configmaps", "secrets", "persistentvolumeclaims"]
          verbs: ["create", "delete", "get", "list", "patch", "update", "watch"]
        - apiGroups: ["apps"]
          resources: ["deployments", "statefulsets"]
          verbs: ["create", "delete", "get", "list", "patch", "update", "watch"]
      deployments:
      - name: ${b.pkg}-controller
        spec:
          replicas: 1
          selector:
            matchLabels:
              app: ${b.pkg}
          template:
            metadata:
              labels:
                app: ${b.pkg}
            spec:
              serviceAccountName: ${b.pkg}-controller
              initContainers:
              - name: init
                image: ${init}
                command: ["sh", "-c", "echo init"]
              containers:
              - name: manager
                image: ${operator}
                args: ["--leader-elect", "--metrics-bind-address=127.0.0.1:8080"]
                env:
                - name: OPERAND_IMAGE
                  value: ${operand}
                - name: AGENT_IMAGE
                  value: ${agent}
                resources:
                  limits: {cpu: 500m, memory: 256Mi}
                  requests: {cpu: 10m, memory: 64Mi}
              - name: kube-rbac-proxy
                image: gcr.io/kubebuilder/kube-rbac-proxy:v0.13.1
                args: ["--secure-listen-address=0.0.0.0:8443", "--upstream=http://127.0.0.1:8080/"]
                ports:
                - containerPort: 8443
                  name: https
`;
}

interface Generated {
  root: string;
  files: number;
  bytes: number;
  bundles: number;
  /** sha256 over every generated path and content: equal across runs, as the generator is seeded. */
  sha256: string;
}

function generateCatalog(root: string): Generated {
  let files = 0;
  let bytes = 0;
  const hash = createHash('sha256');
  const write = (file: string, text: string): void => {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
    hash.update(path.relative(root, file)).update('\0').update(text).update('\0');
    files += 1;
    bytes += Buffer.byteLength(text);
  };
  for (let p = 0; p < PACKAGES; p++) {
    const pkg = `bench-op-${String(p).padStart(3, '0')}`;
    const channels = p % 2 === 0 ? 'stable' : 'stable,fast';
    const packageImages = { operand: `quay.io/ferry-bench/${pkg}-operand` };
    const crd = crdYaml(pkg);
    for (let i = 0; i < BUNDLES_PER_PACKAGE; i++) {
      const b: Bundle = { pkg, index: i, channels };
      const dir = path.join(root, pkg, `1.${i}.0`);
      write(path.join(dir, 'manifests', `${pkg}.clusterserviceversion.yaml`), csvYaml(b, packageImages));
      write(path.join(dir, 'manifests', `${crdName(pkg)}.crd.yaml`), crd);
      write(path.join(dir, 'metadata', 'annotations.yaml'), annotationsYaml(b));
    }
  }
  return { root, files, bytes, bundles: PACKAGES * BUNDLES_PER_PACKAGE, sha256: hash.digest('hex') };
}

// ---------------------------------------------------------------------------------------------
// Measuring child processes

interface RunResult {
  wallMs: number;
  peakRssMb: number;
  stdout: string;
}

/**
 * Runs `node bin/run.js ...args` from the repo root through bench/peak-rss.js, which runs the CLI
 * in the same process and reports process.resourceUsage().maxRSS (KB) into a file on exit.
 * Wall time includes node start-up, as a user would see it.
 */
let runs = 0;
async function runCli(args: string[], scratch: string): Promise<RunResult> {
  const rssFile = path.join(scratch, `rss-${++runs}.json`);
  const started = performance.now();
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [PEAK_RSS_HELPER, CLI, ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, FERRY_BENCH_RSS_FILE: rssFile },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (c) => resolve({ code: c, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }));
  });
  const wallMs = performance.now() - started;
  if (code !== 0) {
    throw new Error(`ferry ${args.join(' ')} exited with ${code}\n${stderr}${stdout.slice(0, 4000)}`);
  }
  const { maxRssKb } = JSON.parse(readFileSync(rssFile, 'utf8')) as { maxRssKb: number };
  return { wallMs, peakRssMb: maxRssKb / 1024, stdout };
}

// ---------------------------------------------------------------------------------------------
// Report

const mb = (bytes: number): string => (bytes / 1024 / 1024).toFixed(2);
const verdict = (ok: boolean): string => (ok ? 'PASS' : 'FAIL');

async function main(): Promise<void> {
  const catalogRoot = mkdtempSync(path.join(os.tmpdir(), 'ferry-bench-catalog-'));
  const work = mkdtempSync(path.join(os.tmpdir(), 'ferry-bench-out-'));
  try {
    const genStarted = performance.now();
    const gen = generateCatalog(catalogRoot);
    const genMs = performance.now() - genStarted;

    const outDir = path.join(work, 'out');
    const build = await runCli(['registry', 'build', '--from-dir', catalogRoot, '--db-only', '--save', outDir, '--json'], work);
    const envelope = JSON.parse(build.stdout) as { status: string; result?: { packages: number; channels: number; bundles: number } };
    if (envelope.result === undefined || envelope.result.bundles !== gen.bundles) {
      throw new Error(`build reported ${envelope.result?.bundles ?? 'no'} bundles, expected ${gen.bundles}`);
    }
    const { packages, channels, bundles } = envelope.result;
    const summary = { packages, channels, bundles };

    const images = await runCli(['registry', 'images', '--from-db', path.join(outDir, 'index.db')], work);
    const imageCount = images.stdout.split('\n').filter((l) => l.trim() !== '').length;

    const totalMs = build.wallMs + images.wallMs;
    const maxRssMb = Math.max(build.peakRssMb, images.peakRssMb);
    const timeOk = totalMs < TARGET_WALL_MS;
    const rssOk = maxRssMb < TARGET_RSS_MB;

    const results = {
      benchmark: 'db',
      date: new Date().toISOString(),
      machine: { cpus: os.cpus().length, node: process.version, platform: `${os.platform()} ${os.arch()}` },
      generated: {
        packages: PACKAGES,
        bundlesPerPackage: BUNDLES_PER_PACKAGE,
        bundles: gen.bundles,
        files: gen.files,
        bytes: gen.bytes,
        bytesPerBundle: Math.round(gen.bytes / gen.bundles),
        generationMs: Math.round(genMs),
        sha256: gen.sha256,
      },
      build: { wallMs: Math.round(build.wallMs), peakRssMb: Number(build.peakRssMb.toFixed(1)), ...summary },
      images: { wallMs: Math.round(images.wallMs), peakRssMb: Number(images.peakRssMb.toFixed(1)), count: imageCount },
      total: { wallMs: Math.round(totalMs), peakRssMb: Number(maxRssMb.toFixed(1)) },
      targets: {
        wallMs: { limit: TARGET_WALL_MS, value: Math.round(totalMs), pass: timeOk },
        peakRssMb: { limit: TARGET_RSS_MB, value: Number(maxRssMb.toFixed(1)), pass: rssOk },
      },
      skopeoRatio: null,
      note: 'skopeo has no equivalent of building a catalog database, so no ratio against skopeo is given.',
    };

    const lines = [
      'ferry catalog database benchmark',
      `  machine            ${results.machine.cpus} CPUs, node ${process.version}, ${results.machine.platform}`,
      `  generated catalog  ${PACKAGES} packages x ${BUNDLES_PER_PACKAGE} bundles = ${gen.bundles} bundles, ` +
        `${gen.files} files, ${gen.bytes} bytes (${mb(gen.bytes)} MB, ~${(results.generated.bytesPerBundle / 1024).toFixed(1)} KB/bundle) in ${genMs.toFixed(0)} ms`,
      `                     content sha256 ${gen.sha256}`,
      `  registry build     ${build.wallMs.toFixed(0)} ms wall, ${build.peakRssMb.toFixed(1)} MB peak RSS ` +
        `(${summary.packages} packages, ${summary.channels} channels, ${summary.bundles} bundles)`,
      `  registry images    ${images.wallMs.toFixed(0)} ms wall, ${images.peakRssMb.toFixed(1)} MB peak RSS (${imageCount} images)`,
      `  total              ${totalMs.toFixed(0)} ms wall, ${maxRssMb.toFixed(1)} MB peak RSS (highest of the two)`,
      '  targets',
      `    build + list < ${TARGET_WALL_MS / 1000} s      ${verdict(timeOk)} (${(totalMs / 1000).toFixed(2)} s)`,
      `    peak RSS < ${TARGET_RSS_MB} MB        ${verdict(rssOk)} (${maxRssMb.toFixed(1)} MB)`,
      `  note: ${results.note}`,
    ];
    console.log(lines.join('\n'));

    mkdirSync(RESULTS_DIR, { recursive: true });
    const resultsFile = path.join(RESULTS_DIR, 'db.json');
    writeFileSync(resultsFile, `${JSON.stringify(results, null, 2)}\n`);
    console.log(`  results written to ${path.relative(REPO_ROOT, resultsFile)}`);
  } finally {
    rmSync(catalogRoot, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  }
}

try {
  await main();
} catch (err) {
  console.error(`bench:db failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
}
