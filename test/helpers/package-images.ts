/**
 * Packages whose images really exist: copies of a few package-manifest folders (synthetic ones from
 * helpers/synthetic-corpus.ts, or in the conformance suite the shared corpus's; the originals are never
 * touched) in which every image reference of every CSV points at a small synthetic image pushed to a
 * test registry. Images are made by umoci and pushed by skopeo,
 * never by ferry, and references are found by parsing the CSVs here, not with ferry's loaders.
 *
 * Each reference `domain/path[:tag][@digest]` becomes `HOST/path[:tag][@digest']`: the tag is kept;
 * a digest cannot match a synthetic image, so it becomes the pushed image's real digest. References
 * naming the same repository and tag share one image (so `x:1.0` and `x:1.0@sha256:…` agree, as they
 * do upstream); a digest-only reference gets an image of its own, pushed under a tag made from the
 * original digest.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { load } from 'js-yaml';
import { removeOnExit } from './cleanup.js';
import { runChecked } from './exec.js';
import { tempDir } from './paths.js';
import { skopeoCopy, type RegistryEndpoint } from './skopeo.js';

/** Where a CSV names an image. opm (and so the catalog) records all but the containerImage annotation. */
export type ImageSource = 'relatedImages' | 'containers' | 'initContainers' | 'containerImage';
const CATALOG_SOURCES: ReadonlySet<ImageSource> = new Set(['relatedImages', 'containers', 'initContainers']);

export interface ParsedRef {
  domain: string;
  path: string;
  tag?: string;
  digest?: string;
}

/** A plain reading of an image reference (docker.io for a bare name, library/ for a one-component Hub name). */
export function parseImageRef(ref: string): ParsedRef {
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  const parts = rest.split('/');
  let domain = 'docker.io';
  if (parts.length > 1 && (/[.:]/.test(parts[0]!) || parts[0] === 'localhost')) domain = parts.shift()!;
  if (domain === 'docker.io' && parts.length === 1) parts.unshift('library');
  return { domain, path: parts.join('/'), ...(tag === undefined ? {} : { tag }), ...(digest === undefined ? {} : { digest }) };
}

export interface FixtureImage {
  /** As written in the original CSV. */
  original: string;
  /** As written in the copied CSV: `HOST/path[:tag][@digest]`. */
  rewritten: string;
  /** The rewritten reference in normalized form (`:latest` added when it has neither tag nor digest). */
  normalized: string;
  /** Where the image was pushed (`HOST/path:tag`). */
  pushedAs: string;
  /** Digest of the pushed manifest. */
  digest: string;
  kind: 'tag' | 'digest' | 'tag+digest' | 'bare';
  sources: ImageSource[];
  /** CSVs naming it anywhere / in a field the catalog records (sorted). */
  csvs: string[];
  catalogCsvs: string[];
}

export interface ImageFixture {
  root: string;
  /** The copied package folders (give each to `registry build --from-dir`). */
  packages: Array<{ name: string; dir: string; csvFiles: string[] }>;
  /** Every distinct reference found, sorted by original. */
  images: FixtureImage[];
  /** The images the catalog records (opm's rule: not those only in the containerImage annotation), sorted by normalized. */
  catalogImages: FixtureImage[];
}

interface Found {
  sources: Set<ImageSource>;
  csvs: Set<string>;
  catalogCsvs: Set<string>;
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** Every image string of a CSV document with where it was found. */
export function csvImageFields(csv: Obj): Array<{ image: string; source: ImageSource }> {
  const out: Array<{ image: string; source: ImageSource }> = [];
  const spec = obj(csv['spec']) ?? {};
  for (const r of arr(spec['relatedImages'])) out.push({ image: str(obj(r)?.['image']), source: 'relatedImages' });
  const install = obj(spec['install']);
  for (const d of arr(obj(install?.['spec'])?.['deployments'])) {
    const pod = obj(obj(obj(obj(d)?.['spec'])?.['template'])?.['spec']);
    for (const c of arr(pod?.['containers'])) out.push({ image: str(obj(c)?.['image']), source: 'containers' });
    for (const c of arr(pod?.['initContainers'])) out.push({ image: str(obj(c)?.['image']), source: 'initContainers' });
  }
  const annotation = str(obj(obj(csv['metadata'])?.['annotations'])?.['containerImage']);
  out.push({ image: annotation, source: 'containerImage' });
  return out.filter((f) => f.image.trim() !== '');
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && /\.(ya?ml|json)$/.test(e.name))
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}

function readCsv(file: string): Obj | undefined {
  let doc: unknown;
  try {
    doc = load(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
  const o = obj(doc);
  return o?.['kind'] === 'ClusterServiceVersion' ? o : undefined;
}

const REF_CHAR = 'A-Za-z0-9._:@/-';
const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Replaces `from` where it stands as a whole reference (not inside a longer one). */
function replaceRef(text: string, from: string, to: string): string {
  return text.replace(new RegExp(`(?<![${REF_CHAR}])${escapeRegExp(from)}(?![${REF_CHAR}])`, 'g'), () => to);
}

/**
 * Copies `packages` (package-manifest folders; each copy is named as its folder) into a temp folder,
 * pushes one synthetic image per distinct reference to `registry` (plain HTTP) and rewrites the copies.
 */
export async function buildImageFixture(packages: readonly string[], registry: RegistryEndpoint): Promise<ImageFixture> {
  const root = tempDir('ferry-package-images-');
  removeOnExit(root);
  const copied: ImageFixture['packages'] = [];
  const found = new Map<string, Found>();
  for (const source of packages) {
    const name = path.basename(source);
    if (!existsSync(source)) throw new Error(`no package folder ${source}`);
    const dir = path.join(root, 'manifests', name);
    cpSync(source, dir, { recursive: true });
    const csvFiles: string[] = [];
    for (const file of filesUnder(dir)) {
      const csv = readCsv(file);
      if (!csv) continue;
      csvFiles.push(file);
      const csvName = str(obj(csv['metadata'])?.['name']);
      for (const { image, source: where } of csvImageFields(csv)) {
        const f = found.get(image) ?? { sources: new Set(), csvs: new Set(), catalogCsvs: new Set() };
        f.sources.add(where);
        f.csvs.add(csvName);
        if (CATALOG_SOURCES.has(where)) f.catalogCsvs.add(csvName);
        found.set(image, f);
      }
    }
    if (csvFiles.length === 0) throw new Error(`${source}: no ClusterServiceVersion found`);
    copied.push({ name, dir, csvFiles });
  }

  // One image per repository+tag (or per digest when there is no tag).
  const originals = [...found.keys()].sort();
  const keyOf = (r: ParsedRef): string => (r.tag !== undefined ? `${r.path}:${r.tag}` : r.digest !== undefined ? `${r.path}@${r.digest}` : `${r.path}:latest`);
  const keys = [...new Set(originals.map((o) => keyOf(parseImageRef(o))))].sort();
  const pushed = await pushSyntheticImages(root, keys, registry);

  const images: FixtureImage[] = originals.map((original) => {
    const r = parseImageRef(original);
    const { pushedAs, digest } = pushed.get(keyOf(r))!;
    const base = `${registry.host}/${r.path}`;
    const rewritten = `${base}${r.tag !== undefined ? `:${r.tag}` : ''}${r.digest !== undefined ? `@${digest}` : ''}`;
    const normalized = r.tag === undefined && r.digest === undefined ? `${base}:latest` : rewritten;
    const kind = r.tag !== undefined && r.digest !== undefined ? 'tag+digest' : r.tag !== undefined ? 'tag' : r.digest !== undefined ? 'digest' : 'bare';
    const f = found.get(original)!;
    return { original, rewritten, normalized, pushedAs, digest, kind, sources: [...f.sources].sort(), csvs: [...f.csvs].sort(), catalogCsvs: [...f.catalogCsvs].sort() };
  });

  // Rewrite the copies, then check them: every image field now names the test registry.
  const byOriginal = new Map(images.map((i) => [i.original, i.rewritten]));
  for (const p of copied) {
    for (const file of p.csvFiles) {
      let text = readFileSync(file, 'utf8');
      for (const [from, to] of byOriginal) text = replaceRef(text, from, to);
      writeFileSync(file, text);
      const csv = readCsv(file);
      if (!csv) throw new Error(`${file} no longer parses after rewriting`);
      for (const { image } of csvImageFields(csv)) {
        if (!image.startsWith(`${registry.host}/`)) throw new Error(`${file}: image ${image} was not rewritten`);
      }
    }
  }
  const catalogImages = images.filter((i) => i.catalogCsvs.length > 0).sort((a, b) => (a.normalized < b.normalized ? -1 : 1));
  return { root, packages: copied, images, catalogImages };
}

/** For each key (`path:tag` or `path@digest`): a shared base layer plus a layer of its own, pushed; its manifest digest. */
async function pushSyntheticImages(root: string, keys: readonly string[], registry: RegistryEndpoint): Promise<Map<string, { pushedAs: string; digest: string }>> {
  const layout = path.join(root, 'layout');
  const umoci = (...args: string[]): Promise<unknown> => runChecked('umoci', args);
  await umoci('init', '--layout', layout);
  await umoci('new', '--image', `${layout}:base`);
  await umoci('config', '--image', `${layout}:base`, '--os', 'linux', '--architecture', 'amd64');
  const baseFiles = path.join(root, 'files', 'base');
  mkdirSync(baseFiles, { recursive: true });
  writeFileSync(path.join(baseFiles, 'os-release'), 'NAME="ferry package fixture"\n');
  await umoci('insert', '--rootless', '--image', `${layout}:base`, baseFiles, '/etc/ferry');

  const out = new Map<string, { pushedAs: string; digest: string }>();
  for (const [i, key] of keys.entries()) {
    const tag = `img${i}`;
    const files = path.join(root, 'files', tag);
    mkdirSync(files, { recursive: true });
    writeFileSync(path.join(files, 'image.txt'), `${key}\n`);
    await umoci('insert', '--rootless', '--image', `${layout}:base`, '--tag', tag, files, '/ferry');
    const at = key.indexOf('@');
    const pushedAs = at < 0 ? `${registry.host}/${key}` : `${registry.host}/${key.slice(0, at)}:fixture-${key.slice(at + 1).replace(/^sha256:/, '').slice(0, 16)}`;
    const digest = await skopeoCopy(`oci:${layout}:${tag}`, `docker://${pushedAs}`, { dest: registry });
    out.set(key, { pushedAs, digest });
  }
  return out;
}
