/**
 * What `ferry image inspect` shows: the manifest (raw bytes on request), and for an image its
 * config's platform, creation time, labels, environment, entrypoint and layers; for an index, its
 * platforms and their digests.
 */
import { ExitCode, FerryError } from '../../errors.js';
import type { Platform } from '../descriptor.js';
import { parseManifest, type RawManifest } from '../manifest.js';
import { formatPlatform, selectPlatform } from '../platform.js';
import type { RegistryOptions } from '../registry/client.js';
import { StoreSet } from '../store-set.js';
import { parseImageName } from '../transport.js';
import type { ImageLocation } from '../copy/location.js';
import { readImageConfig } from '../image-config.js';

export interface InspectedImage {
  name: string;
  digest: string;
  mediaType: string;
  size: number;
  kind: 'image' | 'index';
  /** Index only: one entry per child manifest. */
  manifests?: Array<{ digest: string; mediaType: string; size: number; platform?: string }>;
  /** Image only. */
  config?: { digest: string; size: number; mediaType: string };
  layers?: Array<{ digest: string; size: number; mediaType: string }>;
  platform?: string;
  created?: string;
  labels?: Record<string, string>;
  env?: string[];
  entrypoint?: string[];
  cmd?: string[];
  /** Total of config and layer sizes (image) or of child manifests' (index). */
  totalSize: number;
}

export interface InspectOptions {
  registry?: RegistryOptions;
  platform?: Platform;
  signal?: AbortSignal;
}

/** The raw manifest bytes, exactly as stored. */
export async function readRawManifest(name: string, options: InspectOptions = {}): Promise<RawManifest> {
  return withLocation(name, options, async (location) => {
    const raw = await location.store.getManifest(location.repository, location.reference, signalOf(options));
    return options.platform ? pickPlatform(location, raw, options) : raw;
  });
}

export async function inspectImage(name: string, options: InspectOptions = {}): Promise<InspectedImage> {
  return withLocation(name, options, async (location) => {
    let raw = await location.store.getManifest(location.repository, location.reference, signalOf(options));
    if (options.platform) raw = await pickPlatform(location, raw, options);
    const m = parseManifest(raw.bytes, raw.mediaType, location.display);
    const base = { name: location.display, digest: m.digest, mediaType: m.mediaType, size: raw.bytes.length };
    if (m.kind === 'index') {
      const manifests = m.manifests.map((d) => ({ digest: d.digest, mediaType: d.mediaType, size: d.size, ...(d.platform ? { platform: formatPlatform(d.platform) } : {}) }));
      return { ...base, kind: 'index', manifests, totalSize: manifests.reduce((n, d) => n + d.size, 0) };
    }
    const { config } = await readImageConfig(location, m.config, signalOf(options));
    const layers = m.layers.map((d) => ({ digest: d.digest, size: d.size, mediaType: d.mediaType }));
    const c = (config.config ?? {}) as { Labels?: Record<string, string> | null; Env?: string[] | null; Entrypoint?: string[] | null; Cmd?: string[] | null };
    return {
      ...base,
      kind: 'image',
      config: { digest: m.config.digest, size: m.config.size, mediaType: m.config.mediaType },
      layers,
      ...(typeof config.os === 'string' && typeof config.architecture === 'string'
        ? { platform: formatPlatform({ os: config.os, architecture: config.architecture, ...(typeof config.variant === 'string' ? { variant: config.variant } : {}) }) }
        : {}),
      ...(typeof config.created === 'string' ? { created: config.created } : {}),
      ...(c.Labels ? { labels: c.Labels } : {}),
      ...(c.Env ? { env: c.Env } : {}),
      ...(c.Entrypoint ? { entrypoint: c.Entrypoint } : {}),
      ...(c.Cmd ? { cmd: c.Cmd } : {}),
      totalSize: m.config.size + layers.reduce((n, d) => n + d.size, 0),
    };
  });
}

async function withLocation<T>(name: string, options: InspectOptions, fn: (location: ImageLocation) => Promise<T>): Promise<T> {
  const stores = new StoreSet(options.registry ? { source: options.registry } : {});
  try {
    return await fn(await stores.locate(parseImageName(name), 'source'));
  } finally {
    await stores.close();
  }
}

async function pickPlatform(location: ImageLocation, raw: RawManifest, options: InspectOptions): Promise<RawManifest> {
  const m = parseManifest(raw.bytes, raw.mediaType, location.display);
  if (m.kind !== 'index') return raw;
  const chosen = selectPlatform(m.manifests, options.platform!);
  if (!chosen) throw new FerryError('PLATFORM_NOT_FOUND', `${location.display} has no image for ${formatPlatform(options.platform!)}`, ExitCode.notFound);
  return location.store.getManifest(location.repository, chosen.digest, signalOf(options));
}

function signalOf(options: InspectOptions): { signal?: AbortSignal } {
  return options.signal ? { signal: options.signal } : {};
}
