/**
 * Bundle layouts: `manifests/` (the CSV, CRDs, other objects) and `metadata/annotations.yaml`, with
 * optional `metadata/dependencies.yaml` and `metadata/properties.yaml` — the content of a bundle image.
 * As opm reads a bundle, each file of `manifests/` contributes its first document, in file-name order.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { makeBundle } from '../bundle.js';
import { isCsv, kindOf } from '../csv.js';
import type { Bundle, KubeObject, TypedValue } from '../model.js';
import { ProblemList } from '../problems.js';
import { validateDocument } from '../schemas.js';
import { isManifestFile, listDir, readDocs } from './files.js';

export const ANNOTATION = {
  mediatype: 'operators.operatorframework.io.bundle.mediatype.v1',
  manifests: 'operators.operatorframework.io.bundle.manifests.v1',
  metadata: 'operators.operatorframework.io.bundle.metadata.v1',
  package: 'operators.operatorframework.io.bundle.package.v1',
  channels: 'operators.operatorframework.io.bundle.channels.v1',
  defaultChannel: 'operators.operatorframework.io.bundle.channel.default.v1',
} as const;

/** The annotations file of a bundle folder, if the folder is one. */
export function annotationsFile(dir: string): string | undefined {
  for (const name of ['annotations.yaml', 'annotations.yml']) {
    const file = path.join(dir, 'metadata', name);
    if (existsSync(file)) return file;
  }
  return undefined;
}

export async function loadBundleDir(dir: string, problems: ProblemList, bundlePath = ''): Promise<Bundle | undefined> {
  const annotationsPath = annotationsFile(dir);
  if (annotationsPath === undefined) {
    problems.add(dir, 'not a bundle folder: metadata/annotations.yaml is missing');
    return undefined;
  }
  const annotationDocs = await readDocs(annotationsPath, problems);
  if (annotationDocs === undefined) return undefined;
  const annotationsDoc = annotationDocs[0] ?? {};
  if (!validateDocument('bundle-annotations', annotationsDoc, annotationsPath, problems)) return undefined;
  const annotations = annotationsDoc['annotations'] as Record<string, string>;

  const manifestsDir = path.join(dir, annotations[ANNOTATION.manifests] ?? 'manifests/').replace(/[\\/]+$/, '');
  const metadataDir = path.dirname(annotationsPath);
  const objects: KubeObject[] = [];
  let ok = true;
  if (!existsSync(manifestsDir)) {
    problems.add(dir, `manifests folder ${path.relative(dir, manifestsDir) || '.'} is missing`, ANNOTATION.manifests);
    return undefined;
  }
  for (const file of (await listDir(manifestsDir)).files.filter(isManifestFile)) {
    const docs = await readDocs(file, problems);
    if (docs === undefined) {
      ok = false;
      continue;
    }
    const first = docs[0];
    if (first !== undefined && kindOf(first) !== '') objects.push({ file, object: first });
  }
  const dependencies = await readTypedValues(path.join(metadataDir, 'dependencies.yaml'), 'dependencies', problems);
  const properties = await readTypedValues(path.join(metadataDir, 'properties.yaml'), 'properties', problems);
  if (!ok || dependencies === undefined || properties === undefined) return undefined;

  const csvs = objects.filter((o) => isCsv(o.object));
  if (csvs.length === 0) {
    problems.add(manifestsDir, 'no ClusterServiceVersion in the bundle');
    return undefined;
  }
  if (csvs.length > 1) {
    problems.add(manifestsDir, `more than one ClusterServiceVersion in one bundle: ${csvs.map((c) => path.basename(c.file)).join(', ')}`);
    return undefined;
  }
  const channels = annotations[ANNOTATION.channels]!.split(',').map((c) => c.trim()).filter((c) => c !== '');
  const defaultChannel = (annotations[ANNOTATION.defaultChannel] ?? '').trim();
  return makeBundle(
    {
      csv: csvs[0]!,
      objects,
      packageName: annotations[ANNOTATION.package]!,
      bundlePath,
      channels,
      ...(defaultChannel === '' ? {} : { defaultChannelAnnotation: defaultChannel }),
      properties,
      dependencies,
      source: dir,
    },
    problems,
  );
}

/** Entries of metadata/dependencies.yaml or properties.yaml; [] when the file is absent. */
async function readTypedValues(file: string, key: 'dependencies' | 'properties', problems: ProblemList): Promise<TypedValue[] | undefined> {
  if (!existsSync(file)) return [];
  const unreadable = new ProblemList();
  const docs = await readDocs(file, unreadable);
  if (docs === undefined) {
    // opm treats a dependencies or properties file it cannot parse as absent and loads the bundle.
    for (const p of unreadable.list) problems.warn(p.file, `${p.message}; the file is ignored and the bundle loaded without its ${key}, as opm does`, p.field);
    return [];
  }
  const doc = docs[0] ?? {};
  if (!validateDocument('bundle-dependencies', doc, file, problems)) return undefined;
  const list = (doc[key] as { type: string; value: unknown }[] | null | undefined) ?? [];
  return list.map((e) => ({ type: e.type, value: e.value }));
}
