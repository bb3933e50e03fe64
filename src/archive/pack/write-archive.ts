/**
 * The writing half of `ferry pack`: the cache gathered by collectImages → one archive (or its
 * volumes). Every member's size and sha256 is known first, so the checksums file (whose sha256 is
 * the archive's identity) and the volume plan come before any byte is written; the volumes appear
 * under their final names only when all are complete.
 */
import path from 'node:path';
import { LayoutStore } from '../../oci/layout/layout-store.js';
import { sourceDateEpoch } from '../../util/build-date.js';
import { ARCHIVE_FORMAT, CHECKSUMS_FILE, MANIFESTS_DIR, METADATA_FILE, SIGNATURE_FILE, encodeArchiveMetadata, type ArchiveMetadata, type ArchivedImage } from '../archive-metadata.js';
import { archiveIdentity, formatChecksums } from '../checksums.js';
import { publicKeyFingerprint, publicKeyFromPrivate, sign, signatureFile } from '../signing.js';
import { planVolumes } from '../volumes/plan-volumes.js';
import { writeVolumes } from '../volumes/write-volumes.js';
import { bytesMember, fileMember, folderMembers, layoutMembers, type ArchiveMember } from './archive-members.js';
import type { CollectResult, CollectedImage } from './collect-images.js';

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
  /** When pack built or rebuilt the catalog image: from what (recorded in the metadata). */
  builtFrom?: string;
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
  const manifests = (options.manifests ?? []).map((m) => bytesMember(`${MANIFESTS_DIR}/${m.name}`, Buffer.from(m.content, 'utf8'))).sort((a, b) => (a.name < b.name ? -1 : 1));
  const metadata = bytesMember(METADATA_FILE, encodeArchiveMetadata(metadataDocument(options, layout.members, layout.sizes)));

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

function metadataDocument(options: WriteArchiveOptions, layoutMembers: ArchiveMember[], sizes: ReadonlyMap<string, number>): ArchiveMetadata {
  const { collected } = options;
  const blobSizes = layoutMembers.filter((m) => m.name.startsWith('blobs/')).map((m) => m.size);
  const image = (i: CollectedImage): ArchivedImage => ({ source: i.source, digest: i.digest, mediaType: i.mediaType, size: sizes.get(i.source) ?? 0, platforms: i.platforms, bundles: i.bundles });
  return {
    format: ARCHIVE_FORMAT,
    ferryVersion: options.ferryVersion,
    created: (sourceDateEpoch() ?? new Date()).toISOString(),
    catalog: { ...image(collected.catalog), kind: collected.catalog.kind, ...(options.builtFrom ? { builtFrom: options.builtFrom } : {}), ...(collected.catalog.pruned ? { pruned: collected.catalog.pruned } : {}) },
    packages: collected.packages,
    images: collected.images.map(image),
    missing: collected.missing.map((m) => ({ source: m.source, bundles: m.bundles, error: { code: m.error.code, message: m.error.message } })),
    invalid: collected.invalid,
    blobs: { count: blobSizes.length, bytes: blobSizes.reduce((a, b) => a + b, 0) },
    volumeSize: options.volumeSize ?? null,
    signedBy: options.signKey ? publicKeyFingerprint(publicKeyFromPrivate(options.signKey)) : null,
  };
}
