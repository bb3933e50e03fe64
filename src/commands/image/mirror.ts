import { Flags } from '@oclif/core';
import { FerryCommand, type Outcome } from '../../cli/base-command.js';
import { copyProgress } from '../../cli/copy-progress.js';
import { copyRegistryFlags, copyRegistryOptions, jobsFlag } from '../../cli/registry-flags.js';
import { ExitCode } from '../../errors.js';
import { readMappingFile } from '../../mirror/mapping-file.js';
import type { CopyImagesResult } from '../../oci/operations/copy-images.js';
import { copyImagesInWorker } from '../../oci/operations/copy-in-worker.js';
import { parsePlatform } from '../../oci/platform.js';
import { formatBytes } from '../../util/format-bytes.js';

export default class ImageMirror extends FerryCommand<CopyImagesResult> {
  static override summary = 'Copy many images in one run, from a SRC=DST mapping file (the format oc image mirror -f reads).';
  static override description =
    'Each line of the file is SOURCE=DESTINATION (blank lines and # comments ignored); `ferry registry images --to` writes such a file. Images are copied concurrently and share their blobs: a layer used by several images is transferred once and mounted or skipped for the rest. An image that fails does not stop the others: failures are listed at the end and the exit code is 7 (partial).';
  static override examples = [
    '<%= config.bin %> <%= command.id %> -f mapping.txt',
    '<%= config.bin %> <%= command.id %> -f mapping.txt --dest-creds admin:secret --dest-tls-verify=false --jobs 8',
  ];

  static override flags = {
    filename: Flags.string({ char: 'f', description: 'Mapping file of SOURCE=DESTINATION lines.', required: true }),
    ...copyRegistryFlags,
    jobs: jobsFlag,
    platform: Flags.string({ description: 'Copy only this platform (os/arch[/variant]) of sources that are multi-platform indexes named by tag.' }),
  };

  protected async execute(): Promise<Outcome<CopyImagesResult>> {
    const { flags } = await this.parse(ImageMirror);
    const mappings = await readMappingFile(flags.filename);
    const progress = copyProgress({ enabled: this.showsProgress(), log: (l) => this.info(l) });
    let result: CopyImagesResult;
    try {
      result = await copyImagesInWorker(
        mappings.map((m) => ({ source: m.source, destination: m.destination, origin: `${flags.filename}:${m.line}` })),
        {
          jobs: flags.jobs,
          ...copyRegistryOptions(flags),
          ...(flags.platform ? { platform: parsePlatform(flags.platform) } : {}),
          signal: this.signal,
          ...(progress.listener ? { onEvent: progress.listener } : {}),
        },
      );
    } finally {
      progress.stop();
    }
    const warnings = result.failed.map((f) => `${f.source} → ${f.destination} failed [${f.error.code}]: ${f.error.message}`);
    const exitCode = result.failed.length === 0 ? ExitCode.ok : result.images.length === 0 ? worst(result) : ExitCode.partial;
    return { result, warnings, exitCode };
  }

  protected display(r: CopyImagesResult): void {
    for (const image of r.images) this.log(`${image.source}=${image.destination} ${image.digest}`);
    this.info(
      `${r.images.length} images copied, ${r.failed.length} failed; blobs: ${r.blobs.copied} copied (${formatBytes(r.blobs.bytes)}), ${r.blobs.mounted} mounted, ${r.blobs.skipped} skipped; ${r.seconds.toFixed(1)} s`,
    );
  }
}

/** Nothing copied: exit with the failures' own code when they agree (all auth, all not found). */
function worst(r: CopyImagesResult): ExitCode {
  const codes = new Set(r.failed.map((f) => f.error.exitCode));
  return codes.size === 1 ? ([...codes][0] as ExitCode) : ExitCode.failure;
}
