/**
 * The writing half of `ferry pack`: the cache gathered by collectImages → one archive (or its
 * volumes). Every member's size and sha256 is known first, so the checksums file (whose sha256 is
 * the archive's identity) and the volume plan come before any byte is written; the volumes appear
 * under their final names only when all are complete.
 */
import path from 'node:path';
import { LayoutStore } from '../../oci/layout/layout-store.js';
import { archiveIdentity, formatChecksums } from '../checksums.js';
import { sign, signatureFile } from '../signing.js';
import { planVolumes } from '../volumes/plan-volumes.js';
import { writeVolumes } from '../volumes/write-volumes.js';
import { bytesMember, fileMember, folderMembers, layoutMembers, type ArchiveMember } from './archive-members.js';
import type { CollectResult } from './collect-images.js';

export const ARCHIVE_FORMAT = 'ferry-archive/v1';
export const METADATA_FILE = 'ferry-archive.json';
export const CHECKSUMS_FILE = 'checksums.sha256';
export const SIGNATURE_FILE = 'checksums.sha256.sig';

export interface WriteArchiveOptions {
  collected: CollectResult;
  /** `DIR/NAME.tar`: a single archive `NAME.tar`, or volumes `NAME.001.tar`, … in DIR. */
  output: string;
  volumeSize?: number;
  /** PEM of an ed25519 private key: adds checksums.sha256.sig. */
  signKey?: string;
  ferryVersion: string;
  /** Extra members (cluster manifests, mapping) as name → bytes, placed under `manifests/`. */
  manifests?: ReadonlyArray<{ name: string; content: string }>;
  overwrite?: boolean;
  signal?: AbortSignal;
}

export interface WrittenArchive {
  identity: string;
  files: string[];
  members: number;
  bytes: number;
  signed: boolean;
}

export async function writeArchive(options: WriteArchiveOptions): Promise<WrittenArchive> {
  const { collected } = options;
  const cache = await LayoutStore.open(collected.layoutDir);
  const roots = [collected.catalog.source, ...collected.images.map((i) => i.source)];
  const layout = await layoutMembers(cache, roots);
  const catalog =
    collected.catalog.kind === 'sqlite' ? [await fileMember('catalog/index.db', collected.catalog.database!)] : await folderMembers('catalog/configs', collected.catalog.configsDir!);
  const manifests = (options.manifests ?? []).map((m) => bytesMember(`manifests/${m.name}`, Buffer.from(m.content, 'utf8'))).sort((a, b) => (a.name < b.name ? -1 : 1));
  const metadata = bytesMember(METADATA_FILE, Buffer.from(`${JSON.stringify(metadataDocument(options, layout.members), null, 2)}\n`, 'utf8'));

  const content: ArchiveMember[] = [metadata, ...layout.members, ...catalog, ...manifests];
  const checksums = formatChecksums(content.map((m) => ({ path: m.name, sha256: m.sha256 })));
  const identity = archiveIdentity(checksums);
  const signature = options.signKey ? bytesMember(SIGNATURE_FILE, Buffer.from(signatureFile(sign(checksums, options.signKey)), 'utf8')) : undefined;
  // The metadata first (inspect reads it without scanning), then the integrity chain, then the rest.
  const members: ArchiveMember[] = [metadata, bytesMember(CHECKSUMS_FILE, checksums), ...(signature ? [signature] : []), ...layout.members, ...catalog, ...manifests];

  const plan = planVolumes(members.map((m) => ({ name: m.name, size: m.size })), options.volumeSize, identity);
  const byName = new Map(members.map((m) => [m.name, m]));
  const baseName = path.basename(options.output).replace(/\.tar$/, '');
  const files = await writeVolumes(
    plan,
    {
      dir: path.dirname(path.resolve(options.output)),
      baseName,
      source: (name) => {
        const m = byName.get(name)!;
        return m.content.kind === 'bytes' ? m.content : { kind: 'file', path: m.content.path, digest: `sha256:${m.sha256}` };
      },
    },
    { ...(options.signal ? { signal: options.signal } : {}), ...(options.overwrite ? { overwrite: true } : {}) },
  );
  return { identity, files, members: members.length, bytes: plan.volumes.reduce((n, v) => n + v.size, 0), signed: signature !== undefined };
}

function metadataDocument(options: WriteArchiveOptions, layoutMembers: ArchiveMember[]): Record<string, unknown> {
  const { collected } = options;
  const blobSizes = new Map(layoutMembers.filter((m) => m.name.startsWith('blobs/')).map((m) => [m.name.slice('blobs/sha256/'.length), m.size]));
  return {
    format: ARCHIVE_FORMAT,
    ferryVersion: options.ferryVersion,
    created: new Date().toISOString(),
    catalog: { reference: collected.catalog.source, digest: collected.catalog.digest, kind: collected.catalog.kind, platforms: collected.catalog.platforms },
    images: collected.images.map((i) => ({ source: i.source, digest: i.digest, mediaType: i.mediaType, platforms: i.platforms, bundles: i.bundles })),
    missing: collected.missing.map((m) => ({ source: m.source, bundles: m.bundles, error: { code: m.error.code, message: m.error.message } })),
    invalid: collected.invalid,
    blobs: { count: blobSizes.size, bytes: [...blobSizes.values()].reduce((a, b) => a + b, 0) },
    volumeSize: options.volumeSize ?? null,
  };
}
