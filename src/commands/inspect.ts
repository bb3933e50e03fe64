import { Args, Flags } from '@oclif/core';
import { FerryCommand, type Outcome } from '../cli/base-command.js';
import { inspectArchive, type ArchiveInspection } from '../archive/inspect/inspect-archive.js';
import { formatBytes } from '../util/format-bytes.js';

export default class Inspect extends FerryCommand<ArchiveInspection> {
  static override summary = 'Show what an archive holds: catalog, packages, channels, bundles, images, volumes, identity, signature.';
  static override description =
    'Reads only the metadata at the start of the first volume (never the blobs, never the other volumes), so it is instant even on removable media. What it reads is checked (the first volume whole in length, checksums.sha256 hashing to the identity, the metadata, oci-layout and index.json against it; with --key a signature that checks): any damage found is exit 6. It does not prove the content intact: that is ferry verify.';
  static override examples = ['<%= config.bin %> <%= command.id %> catalog.tar', '<%= config.bin %> <%= command.id %> /media/dvd/catalog.001.tar --key ferry-signing.pub --json'];

  static override args = {
    archive: Args.string({ description: 'The archive (NAME.tar) or its first volume (NAME.001.tar).', required: true }),
  };

  static override flags = {
    key: Flags.string({ description: 'ed25519 public key (PEM): the checksums file must carry a signature that checks with it.' }),
  };

  protected async execute(): Promise<Outcome<ArchiveInspection>> {
    const { args, flags } = await this.parse(Inspect);
    return { result: await inspectArchive(args.archive, flags.key ? { publicKeyFile: flags.key } : {}) };
  }

  protected display(r: ArchiveInspection): void {
    const m = r.metadata;
    const signature = { unsigned: 'none', signed: 'signed (give --key to check it)', valid: `valid (key ${r.signedBy})` }[r.signature];
    this.log(`archive:   ${r.archive}`);
    this.log(`identity:  ${r.identity}`);
    this.log(`created:   ${m.created} by ferry ${m.ferryVersion} (${m.format})`);
    this.log(`signature: ${signature}`);
    this.log(`volumes:   ${r.volumes.count}${m.volumeSize ? ` of at most ${formatBytes(m.volumeSize)}` : ''}: ${r.volumes.files.join(', ')}`);
    this.log(`catalog:   ${m.catalog.source} (${m.catalog.kind}, ${m.catalog.digest})`);
    this.log('');
    this.log(`packages (${r.totals.packages}, ${r.totals.bundles} bundles):`);
    for (const p of m.packages) {
      this.log(`  ${p.name}  default channel ${p.defaultChannel || '(none)'}`);
      for (const c of p.channels) this.log(`    channel ${c.name} → ${c.head}`);
      for (const b of p.bundles) this.log(`    bundle  ${b.name}${b.version ? ` (${b.version})` : ''}`);
    }
    this.log('');
    this.log(`images (${r.totals.images}, ${formatBytes(r.totals.bytes)} of blobs stored once):`);
    for (const i of [m.catalog, ...m.images]) this.log(`  ${formatBytes(i.size).padStart(10)}  ${i.source}${i.platforms.length > 0 ? `  [${i.platforms.join(', ')}]` : ''}`);
    if (m.missing.length > 0) {
      this.log('');
      this.log(`missing (${m.missing.length}, not in the archive):`);
      for (const x of m.missing) this.log(`  ${x.source}  needed by ${x.bundles.join(', ')}: ${x.error.message}`);
    }
  }
}
