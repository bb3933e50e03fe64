import { Args, Flags } from '@oclif/core';
import { FerryCommand, type Outcome } from '../cli/base-command.js';
import { byteProgress } from '../cli/byte-progress.js';
import { unpackArchive, type UnpackResult } from '../archive/unpack/unpack-archive.js';
import { formatBytes } from '../util/format-bytes.js';

export default class Unpack extends FerryCommand<UnpackResult> {
  static override summary = "Write an archive's content into a folder, verifying as it goes, for other tools.";
  static override description =
    'The folder becomes an OCI image layout naming each image by its source reference (skopeo copy oci:DIR:REF …, oc image mirror), with the catalog (catalog/index.db or catalog/configs), the cluster manifests and mapping.txt (manifests/), ferry-archive.json, and checksums.sha256 (sha256sum -c works in the folder). ' +
    "Everything is written into a hidden folder beside DIR and renamed only when ferry verify's whole check passed on it (the integrity chain first, with --key a signature that checks; then every member's checksum, each blob's name, no member missing or unlisted, index.json and the metadata against the blobs): a damaged archive is exit 6 and leaves nothing behind. DIR must not exist or be empty; a symbolic link to an empty folder fills that folder. " +
    'ferry push and ferry serve read the archive in place; unpack is for tools that need files.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> catalog.tar ./catalog',
    '<%= config.bin %> <%= command.id %> /media/dvd/catalog.001.tar ./catalog --key ferry-signing.pub',
    'skopeo copy --all oci:./catalog:quay.io/example/operator:v1 docker://mirror.example.com/example/operator:v1',
  ];

  static override args = {
    archive: Args.string({ description: 'The archive (NAME.tar) or its first volume (NAME.001.tar).', required: true }),
    dir: Args.string({ description: 'The folder to create (absent or empty, or a symbolic link to an empty folder).', required: true }),
  };

  static override flags = {
    key: Flags.string({ description: 'ed25519 public key (PEM, from ferry keygen): the archive must carry a signature it checks.' }),
  };

  protected async execute(): Promise<Outcome<UnpackResult>> {
    const { args, flags } = await this.parse(Unpack);
    const progress = byteProgress({ enabled: this.showsProgress(), label: 'unpacking', log: (l) => this.info(l) });
    try {
      const result = await unpackArchive({
        archive: args.archive,
        dir: args.dir,
        ...(flags.key ? { publicKeyFile: flags.key } : {}),
        signal: this.signal,
        onProgress: (done, total) => progress.update(done, total),
      });
      return { result };
    } finally {
      progress.stop();
    }
  }

  protected display(r: UnpackResult): void {
    this.log(`${r.dir}: ${r.files} files, ${formatBytes(r.bytes)}, verified (archive ${r.identity}${r.signature === 'valid' ? ', signature valid' : ''})`);
    this.log(`catalog (${r.catalog.kind}): ${r.catalog.path}`);
    for (const image of r.images) this.log(`  oci:${r.dir}:${image}`);
  }
}
