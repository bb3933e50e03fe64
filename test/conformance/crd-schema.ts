/**
 * Derives the JSON Schemas (draft-07) under schemas/ that ferry validates its cluster manifests against
 * from the real CustomResourceDefinitions in ../shared/reference/crds/ (see SOURCES.md there). A conformance test
 * checks that each committed schema file equals its derivation, so the files stay true to the CRDs;
 * `writeDerivedSchemas()` (re)writes them.
 *
 * The derivation takes the CRD's served (storage, when several are served) version's openAPIV3Schema:
 *  - keeps type, description, properties, required, items, enum, pattern, minLength/maxLength,
 *    minimum/maximum, minItems/maxItems, additionalProperties, anyOf/allOf/oneOf/not, default;
 *  - `format: int32` becomes minimum/maximum of the int32 range; other formats (int64, date-time) are
 *    dropped (JSON numbers cannot hold int64's range exactly; date-time would need ajv-formats);
 *  - `x-kubernetes-list-type: set` becomes `uniqueItems: true`; the other `x-kubernetes-*` keywords
 *    (merge strategies, list-map keys, int-or-string, whose `anyOf` is already there) are dropped; a
 *    `pattern` beside an int-or-string `anyOf` moves into its string branch (same meaning, and ajv's
 *    strict mode wants a pattern next to `type: string`);
 *  - an object schema with no `additionalProperties` and no `x-kubernetes-preserve-unknown-fields`
 *    gets `additionalProperties: false`: the API server prunes unknown fields and kubectl (strict field
 *    validation, its default) rejects them, so a misspelt field is an error here too;
 *  - the root constrains apiVersion and kind to the CRD's group/version and kind and requires them,
 *    and `metadata` (which CRDs leave as a bare object) is an object with a required DNS-1123-subdomain
 *    name, string labels and annotations, a DNS-1123-label namespace for namespaced kinds and no
 *    namespace for cluster-scoped ones; other ObjectMeta fields are not described and stay allowed.
 * Any other keyword makes the derivation fail, so a CRD update cannot be half-translated silently.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { load } from 'js-yaml';
import { repoRoot } from '../helpers/paths.js';
import { referenceDir } from './shared-paths.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/** The committed schema files and the CRD each is derived from. */
export const CRD_SCHEMAS: ReadonlyArray<{ schema: string; crd: string }> = [
  { schema: 'imagecontentsourcepolicy.schema.json', crd: 'operator.openshift.io_imagecontentsourcepolicies.yaml' },
  { schema: 'imagedigestmirrorset.schema.json', crd: 'config.openshift.io_imagedigestmirrorsets.yaml' },
  { schema: 'imagetagmirrorset.schema.json', crd: 'config.openshift.io_imagetagmirrorsets.yaml' },
  { schema: 'catalogsource.schema.json', crd: 'operators.coreos.com_catalogsources.yaml' },
];

export const crdDir = path.join(referenceDir, 'crds');
export const schemaDir = path.join(repoRoot, 'schemas');

const INT32 = { minimum: -2147483648, maximum: 2147483647 };
const DNS1123_SUBDOMAIN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';
const DNS1123_LABEL = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';

/** Keywords copied as they are (their values are not schemas). */
const COPIED = new Set(['type', 'description', 'required', 'enum', 'pattern', 'minLength', 'maxLength', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'minItems', 'maxItems', 'uniqueItems', 'minProperties', 'maxProperties', 'default', 'title', 'multipleOf']);
/** Kubernetes extensions with no JSON Schema meaning for one object (merge strategy, int-or-string's anyOf is present). */
const DROPPED = new Set(['x-kubernetes-map-type', 'x-kubernetes-list-map-keys', 'x-kubernetes-int-or-string', 'x-kubernetes-embedded-resource', 'x-kubernetes-validations']);

/** Converts one OpenAPI v3 (structural) schema node. */
export function convertSchema(node: JsonObject, where = '#'): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(node)) {
    if (COPIED.has(key)) {
      out[key] = value;
    } else if (key === 'properties') {
      out.properties = Object.fromEntries(Object.entries(value as JsonObject).map(([name, sub]) => [name, convertSchema(sub as JsonObject, `${where}/properties/${name}`)]));
    } else if (key === 'items' || key === 'not') {
      out[key] = convertSchema(value as JsonObject, `${where}/${key}`);
    } else if (key === 'additionalProperties') {
      out.additionalProperties = typeof value === 'boolean' ? value : convertSchema(value as JsonObject, `${where}/additionalProperties`);
    } else if (key === 'anyOf' || key === 'allOf' || key === 'oneOf') {
      out[key] = (value as JsonObject[]).map((sub, i) => convertSchema(sub, `${where}/${key}/${i}`));
    } else if (key === 'format') {
      if (value === 'int32') Object.assign(out, INT32);
      else if (value !== 'int64' && value !== 'date-time') throw new Error(`${where}: format "${String(value)}" has no translation`);
    } else if (key === 'nullable') {
      if (value === true) throw new Error(`${where}: nullable has no translation yet`);
    } else if (key === 'x-kubernetes-list-type') {
      if (value === 'set') out.uniqueItems = true;
    } else if (key === 'x-kubernetes-preserve-unknown-fields' || DROPPED.has(key)) {
      // see above; preserve-unknown-fields only stops additionalProperties: false below
    } else {
      throw new Error(`${where}: keyword "${key}" has no translation`);
    }
  }
  // A pattern on an int-or-string value applies to its string form.
  const anyOf = out.anyOf as JsonObject[] | undefined;
  if (out.pattern !== undefined && out.type === undefined && anyOf?.some((s) => s.type === 'string')) {
    out.anyOf = anyOf.map((s) => (s.type === 'string' ? { ...s, pattern: out.pattern! } : s));
    delete out.pattern;
  }
  if (out.type === 'object' && out.additionalProperties === undefined && node['x-kubernetes-preserve-unknown-fields'] !== true) {
    out.additionalProperties = false;
  }
  return out;
}

interface Crd {
  spec: {
    group: string;
    scope: 'Cluster' | 'Namespaced';
    names: { kind: string; singular: string };
    versions: Array<{ name: string; served: boolean; storage: boolean; schema?: { openAPIV3Schema: JsonObject } }>;
  };
}

/** The JSON Schema for objects of the CRD in `crdYaml`. */
export function deriveSchemaFromCrd(crdYaml: string): JsonObject {
  const crd = load(crdYaml) as Crd;
  const served = crd.spec.versions.filter((v) => v.served);
  const version = served.length === 1 ? served[0] : served.find((v) => v.storage);
  if (!version?.schema) throw new Error(`${crd.spec.names.kind}: no served version with a schema`);
  const apiVersion = `${crd.spec.group}/${version.name}`;
  const kind = crd.spec.names.kind;
  const root = convertSchema(version.schema.openAPIV3Schema);
  const properties = root.properties as JsonObject;

  const metadata: JsonObject = {
    description: 'Standard object metadata. Only the fields ferry writes are described; the API server fills in the rest.',
    type: 'object',
    required: ['name'],
    properties: {
      name: { type: 'string', minLength: 1, maxLength: 253, pattern: DNS1123_SUBDOMAIN },
      // a cluster-scoped object has no namespace: the false schema admits no value
      namespace: crd.spec.scope === 'Namespaced' ? { type: 'string', minLength: 1, maxLength: 63, pattern: DNS1123_LABEL } : false,
      labels: { type: 'object', additionalProperties: { type: 'string' } },
      annotations: { type: 'object', additionalProperties: { type: 'string' } },
    },
  };
  const required = [...new Set(['apiVersion', 'kind', 'metadata', ...((root.required as string[] | undefined) ?? [])])];
  const { description, ...rest } = root;
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: `https://ferry.dev/schemas/${crd.spec.names.singular}.schema.json`,
    title: `${kind} (${apiVersion}), derived from the CRD ${crd.spec.names.singular}`,
    ...(description === undefined ? {} : { description }),
    ...rest,
    required,
    properties: {
      ...properties,
      apiVersion: { ...(properties.apiVersion as JsonObject), const: apiVersion },
      kind: { ...(properties.kind as JsonObject), const: kind },
      metadata,
    },
  };
}

/** The text of a schema file: two-space JSON and a final newline. */
export function formatSchemaFile(schema: JsonObject): string {
  return `${JSON.stringify(schema, null, 2)}\n`;
}

/** Each schema file's expected text, derived from its CRD. */
export function derivedSchemaFiles(): Array<{ file: string; text: string }> {
  return CRD_SCHEMAS.map(({ schema, crd }) => ({
    file: path.join(schemaDir, schema),
    text: formatSchemaFile(deriveSchemaFromCrd(readFileSync(path.join(crdDir, crd), 'utf8'))),
  }));
}

/** (Re)writes the schema files from the CRDs. */
export function writeDerivedSchemas(): string[] {
  const files = derivedSchemaFiles();
  for (const f of files) writeFileSync(f.file, f.text);
  return files.map((f) => f.file);
}
