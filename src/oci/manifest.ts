/**
 * Manifests parsed from their raw bytes. The bytes are the truth: they are kept beside the parsed
 * form, the digest is computed over them, and a manifest is never re-serialized.
 */
import { ExitCode, FerryError } from '../errors.js';
import { checkDigest, sha256Digest } from './digest.js';
import type { Descriptor } from './descriptor.js';
import { MediaType, SCHEMA1_MEDIA_TYPES, isIndexMediaType, isManifestMediaType } from './media-types.js';

/** Registries cap manifests at 4 MiB (distribution's default); so does ferry. */
export const MAX_MANIFEST_SIZE = 4 * 1024 * 1024;

export class ManifestError extends FerryError {
  constructor(message: string, code = 'INVALID_MANIFEST') {
    super(code, message, ExitCode.invalidInput);
    this.name = 'ManifestError';
  }
}

/** Raw manifest bytes as stored or served, with their media type and digest. */
export interface RawManifest {
  readonly mediaType: string;
  readonly digest: string;
  readonly bytes: Buffer;
}

export interface ImageManifest extends RawManifest {
  readonly kind: 'image';
  readonly config: Descriptor;
  readonly layers: readonly Descriptor[];
  readonly annotations?: Record<string, string>;
}

export interface IndexManifest extends RawManifest {
  readonly kind: 'index';
  readonly manifests: readonly Descriptor[];
  readonly annotations?: Record<string, string>;
}

export type Manifest = ImageManifest | IndexManifest;

/** The descriptor that points at a manifest. */
export function descriptorOf(m: RawManifest): Descriptor {
  return { mediaType: m.mediaType, digest: m.digest, size: m.bytes.length };
}

/** The descriptor of `bytes` when they parse as a manifest; undefined for any other blob (a layer, a config). */
export function descriptorIfManifest(bytes: Buffer, source: string): Descriptor | undefined {
  try {
    const parsed = parseManifest(bytes, undefined, source);
    return { mediaType: parsed.mediaType, digest: parsed.digest, size: bytes.length };
  } catch (err) {
    if (err instanceof ManifestError) return undefined;
    throw err;
  }
}

/**
 * Parses manifest bytes. `mediaType` is what the store reported (Content-Type, descriptor); the
 * document's own `mediaType` wins when present. `source` names the image in error messages.
 */
export function parseManifest(bytes: Buffer, mediaType: string | undefined, source: string): Manifest {
  if (bytes.length > MAX_MANIFEST_SIZE) {
    throw new ManifestError(`${source}: manifest is ${bytes.length} bytes, more than the ${MAX_MANIFEST_SIZE}-byte limit`, 'MANIFEST_TOO_LARGE');
  }
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new ManifestError(`${source}: manifest is not valid JSON (${(err as Error).message})`);
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new ManifestError(`${source}: manifest is not a JSON object`);

  const declared = typeof doc.mediaType === 'string' ? doc.mediaType : undefined;
  const type = declared ?? normalizeContentType(mediaType) ?? guessMediaType(doc);
  if (SCHEMA1_MEDIA_TYPES.includes(type ?? '') || doc.schemaVersion === 1) {
    throw new ManifestError(
      `${source}: Docker image manifest schema 1 is obsolete and not supported; push the image again with a current tool (schema 2 or OCI)`,
      'UNSUPPORTED_MANIFEST',
    );
  }
  if (type === undefined || !isManifestMediaType(type)) {
    throw new ManifestError(`${source}: unsupported manifest media type "${type ?? '(none)'}"`, 'UNSUPPORTED_MANIFEST');
  }
  const digest = sha256Digest(bytes);
  const annotations = stringRecord(doc.annotations);
  if (isIndexMediaType(type)) {
    if (!Array.isArray(doc.manifests)) throw new ManifestError(`${source}: index has no "manifests" array`);
    const manifests = doc.manifests.map((d, i) => parseDescriptor(d, `${source}: manifests[${i}]`));
    return { kind: 'index', mediaType: type, digest, bytes, manifests, ...(annotations ? { annotations } : {}) };
  }
  if (!Array.isArray(doc.layers)) throw new ManifestError(`${source}: image manifest has no "layers" array`);
  const config = parseDescriptor(doc.config, `${source}: config`);
  const layers = doc.layers.map((d, i) => parseDescriptor(d, `${source}: layers[${i}]`));
  return { kind: 'image', mediaType: type, digest, bytes, config, layers, ...(annotations ? { annotations } : {}) };
}

/** Every descriptor a manifest points at: child manifests of an index; config and layers of an image. */
export function childrenOf(m: Manifest): readonly Descriptor[] {
  return m.kind === 'index' ? m.manifests : [m.config, ...m.layers];
}

function parseDescriptor(value: unknown, where: string): Descriptor {
  if (value === null || typeof value !== 'object') throw new ManifestError(`${where}: not a descriptor object`);
  const d = value as Record<string, unknown>;
  if (typeof d.digest !== 'string') throw new ManifestError(`${where}: descriptor has no digest`);
  try {
    checkDigest(d.digest);
  } catch {
    throw new ManifestError(`${where}: unsupported digest "${d.digest}" (ferry handles sha256)`);
  }
  if (typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0) throw new ManifestError(`${where}: descriptor has no valid size`);
  if (typeof d.mediaType !== 'string') throw new ManifestError(`${where}: descriptor has no mediaType`);
  return d as unknown as Descriptor;
}

function normalizeContentType(contentType: string | undefined): string | undefined {
  const t = contentType?.split(';')[0]?.trim();
  return t === undefined || t === '' || t === 'application/json' || t === 'application/octet-stream' ? undefined : t;
}

/** OCI allows documents without mediaType; tell an index from an image by shape. */
function guessMediaType(doc: Record<string, unknown>): string | undefined {
  if (doc.schemaVersion !== 2) return undefined;
  if (Array.isArray(doc.manifests)) return MediaType.ociIndex;
  if (Array.isArray(doc.layers)) return MediaType.ociManifest;
  return undefined;
}

function stringRecord(value: unknown): Record<string, string> | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  return value as Record<string, string>;
}
