/**
 * Validation of the cluster objects ferry writes (ImageContentSourcePolicy, ImageDigestMirrorSet,
 * ImageTagMirrorSet, CatalogSource) against JSON Schemas derived from the real CRDs
 * (schemas/<kind>.schema.json; see test/helpers/crd-schema.ts for the derivation). Schemas are loaded
 * as src/catalog/schemas.ts loads its own (package root, ajv in strict mode, all errors), with a
 * separate ajv instance and the same problem wording; that module's loader is keyed to its own four
 * document schemas, so it is not reused directly.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { Problem } from '../errors.js';
import { parseYamlStream, YamlSyntaxError } from '../catalog/manifests/yaml.js';
import { packageRoot } from '../util/package-root.js';

/** apiVersion and kind of each object ferry validates, and its schema file under schemas/. */
export const CLUSTER_OBJECT_SCHEMAS: ReadonlyArray<{ apiVersion: string; kind: string; schema: string }> = [
  { apiVersion: 'operator.openshift.io/v1alpha1', kind: 'ImageContentSourcePolicy', schema: 'imagecontentsourcepolicy' },
  { apiVersion: 'config.openshift.io/v1', kind: 'ImageDigestMirrorSet', schema: 'imagedigestmirrorset' },
  { apiVersion: 'config.openshift.io/v1', kind: 'ImageTagMirrorSet', schema: 'imagetagmirrorset' },
  { apiVersion: 'operators.coreos.com/v1alpha1', kind: 'CatalogSource', schema: 'catalogsource' },
];

const ajv = new Ajv({ allErrors: true, strict: true });
const compiled = new Map<string, ValidateFunction>();

function validator(schema: string): ValidateFunction {
  let v = compiled.get(schema);
  if (!v) {
    v = ajv.compile(JSON.parse(readFileSync(path.join(packageRoot(), 'schemas', `${schema}.schema.json`), 'utf8')) as object);
    compiled.set(schema, v);
  }
  return v;
}

/**
 * Problems of one object (none when valid). `file` names it in the problems; default `Kind/name`.
 * An object of another apiVersion/kind is one problem.
 */
export function validateClusterObject(object: unknown, file?: string): Problem[] {
  const o = (typeof object === 'object' && object !== null ? object : {}) as { apiVersion?: unknown; kind?: unknown; metadata?: { name?: unknown } };
  const where = file ?? `${typeof o.kind === 'string' ? o.kind : 'object'}/${typeof o.metadata?.name === 'string' ? o.metadata.name : '(no name)'}`;
  const entry = CLUSTER_OBJECT_SCHEMAS.find((s) => s.apiVersion === o.apiVersion && s.kind === o.kind);
  if (!entry) {
    return [{ file: where, message: `not a kind ferry validates (apiVersion ${JSON.stringify(o.apiVersion)}, kind ${JSON.stringify(o.kind)})` }];
  }
  const v = validator(entry.schema);
  if (v(object)) return [];
  return (v.errors ?? []).map((e) => {
    const { field, message } = describe(e);
    return field === '' ? { file: where, message } : { file: where, field, message };
  });
}

/** Problems of every object in the YAML stream `text` (read as the cluster's go-yaml reads it). */
export function validateClusterManifest(text: string, file: string): Problem[] {
  let objects: unknown[];
  try {
    objects = parseYamlStream(text);
  } catch (err) {
    if (err instanceof YamlSyntaxError) return [{ file: err.line === undefined ? file : `${file}:${err.line}`, message: err.message }];
    throw err;
  }
  return objects.flatMap((o, i) => validateClusterObject(o, objects.length === 1 ? file : `${file}[${i}]`));
}

function describe(e: ErrorObject): { field: string; message: string } {
  const parts = e.instancePath
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  let field = parts.reduce((acc, p) => (/^\d+$/.test(p) ? `${acc}[${p}]` : acc === '' ? p : `${acc}.${p}`), '');
  let message = e.message ?? 'is invalid';
  if (e.keyword === 'required') {
    const missing = (e.params as { missingProperty: string }).missingProperty;
    field = field === '' ? missing : `${field}.${missing}`;
    message = 'is required';
  } else if (e.keyword === 'const') {
    message = `must be ${JSON.stringify((e.params as { allowedValue: unknown }).allowedValue)}`;
  } else if (e.keyword === 'additionalProperties') {
    const extra = (e.params as { additionalProperty: string }).additionalProperty;
    field = field === '' ? extra : `${field}.${extra}`;
    message = 'is not a field of this kind';
  } else if (e.keyword === 'enum') {
    message = `must be one of ${((e.params as { allowedValues: unknown[] }).allowedValues ?? []).map((v) => JSON.stringify(v)).join(', ')}`;
  } else if (e.keyword === 'false schema') {
    message = field === 'metadata.namespace' ? 'must not be set: the kind is cluster-scoped' : 'must not be set';
  }
  return { field, message };
}
