import { Args, Flags } from '@oclif/core';
import { FerryCommand, type Outcome } from '../cli/base-command.js';
import { byteProgress } from '../cli/byte-progress.js';
import { verifyArchive, type VerifyReport } from '../archive/verify/verify-archive.js';
import { ExitCode } from '../errors.js';
import { formatBytes } from '../util/format-bytes.js';

export default class Verify extends FerryCommand<VerifyReport> {
  static override summary = 'Prove an archive (or all its volumes) intact, without extracting or writing anything.';
  static override description =
    'Reads every member once: each size and sha256 against checksums.sha256, each blob against its digest, every blob the manifests reference present, no member outside the checksums file, no unsafe path, every volume present, complete and of this archive. ' +
    'The sha256 of checksums.sha256 must be the identity every volume names; with --key the archive must carry an ed25519 signature that checks with it; an archive whose metadata records a signature must carry it, key or no key. ' +
    'Prints the evidence (members and bytes verified, the identity, each volume) and lists every problem; exit 6 when there is one. Volumes are opened read-only (they may be on a DVD).';
  static override examples = [
    '<%= config.bin %> <%= command.id %> catalog.tar',
    '<%= config.bin %> <%= command.id %> /media/dvd/catalog.001.tar --key ferry-signing.pub',
    '<%= config.bin %> <%= command.id %> catalog.tar --json',
  ];

  static override args = {
    archive: Args.string({ description: 'The archive (NAME.tar) or its first volume (NAME.001.tar); the other volumes are found beside it.', required: true }),
  };

  static override flags = {
    key: Flags.string({ description: 'ed25519 public key (PEM, from ferry keygen): the archive must carry a signature that checks with it.' }),
    'require-signature': Flags.boolean({ description: 'Fail unless the archive carries a signature that --key checks (what --key alone does; kept for scripts).' }),
  };

  protected async execute(): Promise<Outcome<VerifyReport>> {
    const { args, flags } = await this.parse(Verify);
    const progress = byteProgress({ enabled: this.showsProgress(), label: 'verifying', log: (l) => this.info(l) });
    let report: VerifyReport;
    try {
      report = await verifyArchive(args.archive, {
        ...(flags.key ? { publicKeyFile: flags.key } : {}),
        requireSignature: flags['require-signature'],
        signal: this.signal,
        onProgress: (done, total) => progress.update(done, total),
      });
    } finally {
      progress.stop();
    }
    return { result: report, exitCode: report.ok ? ExitCode.ok : ExitCode.integrity };
  }

  protected display(r: VerifyReport): void {
    for (const v of r.volumes) this.log(`${v.ok ? 'ok     ' : 'DAMAGED'} ${v.file} (volume ${v.volume} of ${r.volumes.length}, ${v.members} members, ${formatBytes(v.bytes)})`);
    if (r.identity) this.log(`identity:  ${r.identity}`);
    this.log(`signature: ${signatureLine(r)}`);
    this.log(`verified:  ${r.verified.members} members, ${formatBytes(r.verified.bytes)} (${r.verified.bytes} bytes); ${r.images} images, ${r.blobs} blobs referenced and present`);
    for (const p of r.problems) this.logToStderr(`problem [${p.kind}]: ${p.message}`);
    this.log(r.ok ? `${r.archive}: intact` : `${r.archive}: ${r.problems.length} problem${r.problems.length === 1 ? '' : 's'} found`);
  }
}

function signatureLine(r: VerifyReport): string {
  switch (r.signature) {
    case 'valid':
      return `valid (key ${r.signedBy})`;
    case 'invalid':
      return `INVALID (key ${r.signedBy})`;
    case 'unsigned':
      return 'none (the archive is not signed)';
    case 'unknown':
      return 'unknown (the volumes could not be read)';
    default:
      return 'present, not checked (give --key)';
  }
}
