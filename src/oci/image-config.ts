/** Reading an image's config blob (small JSON: platform, labels, entrypoint, history, rootfs). */
import { ExitCode, FerryError } from '../errors.js';
import type { ImageLocation } from './copy/location.js';
import type { Descriptor } from './descriptor.js';

export const MAX_CONFIG_SIZE = 16 * 1024 * 1024;

export interface ImageConfigDocument {
  architecture?: string;
  os?: string;
  variant?: string;
  created?: string;
  config?: {
    Labels?: Record<string, string> | null;
    Env?: string[] | null;
    Entrypoint?: string[] | null;
    Cmd?: string[] | null;
    ExposedPorts?: Record<string, object> | null;
    [key: string]: unknown;
  };
  rootfs?: { type: string; diff_ids: string[] };
  history?: Array<Record<string, unknown>>;
  [key: string]: unknown;
}

/** The config blob's bytes (verified) and its parsed form. */
export async function readImageConfig(location: ImageLocation, descriptor: Descriptor, options: { signal?: AbortSignal } = {}): Promise<{ bytes: Buffer; config: ImageConfigDocument }> {
  if (descriptor.size > MAX_CONFIG_SIZE) throw new FerryError('INVALID_MANIFEST', `${location.display}: config blob of ${descriptor.size} bytes is too large`, ExitCode.invalidInput);
  const stream = await location.store.getBlob(location.repository, descriptor, options);
  const chunks: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
  const bytes = Buffer.concat(chunks);
  try {
    return { bytes, config: JSON.parse(bytes.toString('utf8')) as ImageConfigDocument };
  } catch {
    throw new FerryError('INVALID_MANIFEST', `${location.display}: config ${descriptor.digest} is not JSON`, ExitCode.invalidInput);
  }
}
