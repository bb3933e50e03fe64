import { Args, Flags } from '@oclif/core';
import { FerryCommand, type Outcome } from '../../cli/base-command.js';
import { copyProgress } from '../../cli/copy-progress.js';
import { copyRegistryFlags, copyRegistryOptions, jobsFlag } from '../../cli/registry-flags.js';
import type { CopiedImage } from '../../oci/copy/engine.js';
import { copyImagesInWorker } from '../../oci/operations/copy-in-worker.js';
import { parsePlatform } from '../../oci/platform.js';
import { formatBytes } from '../../util/format-bytes.js';

export interface ImageCopyResult extends CopiedImage {
  seconds: number;
}

export default class ImageCopy extends FerryCommand<ImageCopyResult> {
  static override summary = 'Copy one image (or a whole multi-platform index) between registries, layouts and archives.';
  static override description =
    'Copies an image with its digest unchanged: layers and config first, then child manifests, the index, and the tag. Blobs already at the destination are skipped; within one registry they are mounted across repositories. Every blob is verified (size and sha256) as it is read and written.\n\nTransports: docker://REF (or a bare reference), oci:DIR[:NAME], oci-archive:FILE[:NAME], and docker-archive:FILE[:NAME] as a source. An oci-archive: written by ferry also carries a docker manifest.json, so docker load and podman load accept it.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> docker://quay.io/coreos/etcd:v3.5.0 oci:./etcd-layout:v3.5.0',
    '<%= config.bin %> <%= command.id %> oci:./etcd-layout:v3.5.0 docker://mirror.example.com:5000/coreos/etcd:v3.5.0 --dest-creds admin:secret',
    '<%= config.bin %> <%= command.id %> quay.io/prometheus/busybox:latest oci-archive:busybox.tar:busybox --platform linux/arm64',
    '<%= config.bin %> <%= command.id %> docker://127.0.0.1:5000/app:1 docker://127.0.0.1:5000/copy/app:1 --tls-verify=false',
  ];

  static override args = {
    source: Args.string({ description: 'Image to copy from.', required: true }),
    destination: Args.string({ description: 'Where to copy it.', required: true }),
  };

  static override flags = {
    ...copyRegistryFlags,
    jobs: jobsFlag,
    platform: Flags.string({ description: 'Copy only this platform (os/arch[/variant]) when the source is a multi-platform index named by tag.' }),
  };

  protected async execute(): Promise<Outcome<ImageCopyResult>> {
    const { args, flags } = await this.parse(ImageCopy);
    const progress = copyProgress({ enabled: this.showsProgress(), log: (l) => this.info(l) });
    try {
      const result = await copyImagesInWorker([{ source: args.source, destination: args.destination }], {
        jobs: flags.jobs,
        ...copyRegistryOptions(flags),
        ...(flags.platform ? { platform: parsePlatform(flags.platform) } : {}),
        signal: this.signal,
        failFast: true,
        ...(progress.listener ? { onEvent: progress.listener } : {}),
      });
      return { result: { ...result.images[0]!, seconds: result.seconds } };
    } finally {
      progress.stop();
    }
  }

  protected display(r: ImageCopyResult): void {
    this.log(`${r.destination} ${r.digest}`);
    this.info(`${r.blobs.copied} blobs copied (${formatBytes(r.blobs.bytes)}), ${r.blobs.mounted} mounted, ${r.blobs.skipped} already present, in ${r.seconds.toFixed(1)} s`);
  }
}
