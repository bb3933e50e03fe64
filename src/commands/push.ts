import { Args, Flags } from '@oclif/core';
import { FerryCommand, type Outcome } from '../cli/base-command.js';
import { byteProgress } from '../cli/byte-progress.js';
import { copyProgress } from '../cli/copy-progress.js';
import { jobsFlag, registryOptions, singleRegistryFlags } from '../cli/registry-flags.js';
import { planPush, pushArchive, type PushOptions, type PushPlan, type PushResult } from '../archive/push/push-archive.js';
import { ExitCode } from '../errors.js';
import { formatBytes } from '../util/format-bytes.js';

export default class Push extends FerryCommand<PushResult | PushPlan> {
  static override summary = 'Push an archive into the local registry and write the cluster manifests that point at it.';
  static override description =
    'Verifies the archive first (as ferry verify; --skip-verify opts out; unchanged volumes already verified by an earlier push are not hashed again), then pushes every image straight from the archive or its volumes, read in place and never extracted, under the names registry images --to gives (--max-components as oc adm catalog mirror). ' +
    'Blobs the registry has are skipped, blobs shared by images are sent once and mounted, children before parents and tags last; the catalog image goes last and only when every other image is in place. ' +
    'An interrupted push run again skips the images it finished (a journal in --cache-dir, checked against the registry). ' +
    'When everything is in place, writes ImageContentSourcePolicy, ImageDigestMirrorSet, ImageTagMirrorSet, CatalogSource and mapping.txt into --manifests and prints the oc apply to run. ' +
    'Failed images are listed and the exit code is 7 (partial); a damaged archive is refused with exit 6 before anything is sent.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> catalog.tar --to mirror.example.com:5000/olm',
    '<%= config.bin %> <%= command.id %> /media/dvd/catalog.001.tar --to mirror.example.com/olm --creds admin:secret --ca-file mirror-ca.pem --manifests ./cluster',
    '<%= config.bin %> <%= command.id %> catalog.tar --to mirror.example.com/olm --max-components 2 --dry-run',
    '<%= config.bin %> <%= command.id %> catalog.tar --to mirror.example.com/olm --key ferry-signing.pub',
  ];

  static override args = {
    archive: Args.string({ description: 'The archive (NAME.tar) or its first volume (NAME.001.tar); the other volumes are found beside it.', required: true }),
  };

  static override flags = {
    to: Flags.string({ description: 'The mirror registry and namespace: REGISTRY[/NAMESPACE...].', required: true }),
    'max-components': Flags.integer({ description: 'Name mirrored repositories as oc adm catalog mirror does: drop the source host, keep this many path components (0 = all). Default: keep the host, flatten . and / to -.', min: 0 }),
    manifests: Flags.string({ description: 'Folder for mapping.txt, imageContentSourcePolicy.yaml, imageDigestMirrorSet.yaml, imageTagMirrorSet.yaml, catalogSource.yaml.', default: './manifests' }),
    'catalog-name': Flags.string({ description: 'CatalogSource name (DNS-1123 label). Default: from the catalog repository name.' }),
    'display-name': Flags.string({ description: 'CatalogSource spec.displayName.' }),
    publisher: Flags.string({ description: 'CatalogSource spec.publisher.' }),
    'skip-verify': Flags.boolean({ description: 'Do not verify the whole archive first (each blob is still checked against its digest as it is sent).' }),
    key: Flags.string({ description: 'ed25519 public key (PEM, from ferry keygen): refuse the archive unless it carries a signature that checks with it (also with --skip-verify).' }),
    'require-signature': Flags.boolean({ description: 'Refuse an archive without a signature that --key checks (what --key alone does; kept for scripts).' }),
    'cache-dir': Flags.string({ description: 'Where the push journal and verify records are kept (default $XDG_CACHE_HOME/ferry/push or ~/.cache/ferry/push).' }),
    'dry-run': Flags.boolean({ description: 'Show what would be pushed where; nothing is sent or written.' }),
    ...singleRegistryFlags,
    jobs: jobsFlag,
  };

  protected async execute(): Promise<Outcome<PushResult | PushPlan>> {
    const { args, flags } = await this.parse(Push);
    const options: PushOptions = {
      archive: args.archive,
      to: flags.to,
      ...(flags['max-components'] === undefined ? {} : { maxComponents: flags['max-components'] }),
      manifestsDir: flags.manifests,
      ...(flags['catalog-name'] ? { catalogName: flags['catalog-name'] } : {}),
      ...(flags['display-name'] ? { displayName: flags['display-name'] } : {}),
      ...(flags.publisher ? { publisher: flags.publisher } : {}),
      ...(flags['cache-dir'] ? { cacheDir: flags['cache-dir'] } : {}),
      ...(flags.key ? { publicKeyFile: flags.key } : {}),
      skipVerify: flags['skip-verify'],
      requireSignature: flags['require-signature'],
      registry: registryOptions(flags),
      jobs: flags.jobs,
      signal: this.signal,
    };
    if (flags['dry-run']) {
      const plan = await planPush(options);
      return { result: plan, warnings: plan.warnings };
    }
    const verifying = byteProgress({ enabled: this.showsProgress(), label: 'verifying', log: (l) => this.info(l) });
    const copying = copyProgress({ enabled: this.showsProgress(), log: (l) => this.info(l) });
    let result: PushResult;
    try {
      result = await pushArchive({
        ...options,
        onVerifyProgress: (done, total) => verifying.update(done, total),
        ...(copying.listener ? { onEvent: copying.listener } : {}),
      });
    } finally {
      verifying.stop();
      copying.stop();
    }
    const warnings = [...result.warnings, ...result.failed.map((f) => `${f.source} → ${f.destination} failed [${f.error.code}]: ${f.error.message}`)];
    if (result.catalog.reason) warnings.push(`catalog ${result.catalog.source} ${result.catalog.reason}`);
    return { result, warnings, exitCode: exitCodeOf(result) };
  }

  protected display(r: PushResult | PushPlan): void {
    if ('dryRun' in r) {
      for (const i of [...r.images, r.catalog]) this.log(`${i.source}=${i.destination} ${formatBytes(i.size)}${i.journaled ? ' (pushed before: checked, then skipped)' : ''}`);
      this.info(`would push ${r.images.length + 1} images (${r.blobs.count} blobs, ${formatBytes(r.blobs.bytes)}) from ${r.archive} to ${r.to}, the catalog last; manifests into ${r.manifestsDir}. Nothing was sent.`);
      return;
    }
    for (const i of [...r.list, r.catalog]) this.log(`${i.status.padEnd(8)} ${i.source}=${i.destination}`);
    const verify = r.verify === 'full' ? 'archive verified' : r.verify === 'unchanged' ? 'archive verified before, volumes unchanged' : 'verify skipped';
    this.info(
      `${verify}; images: ${r.images.pushed} pushed, ${r.images.skipped} skipped (already there), ${r.images.failed} failed; blobs: ${r.blobs.pushed} pushed (${formatBytes(r.bytes)}), ${r.blobs.mounted} mounted, ${r.blobs.skipped} skipped; ${r.seconds.toFixed(1)} s`,
    );
    if (r.manifests) {
      this.info(`wrote ${r.manifests.written.join(', ')}`);
      this.info(`next: ${r.next}`);
    } else {
      this.info('no manifests written: the push is incomplete; run the same push again');
    }
  }
}

/** Some images failed: partial; none in place at all: the failures' own code when they agree (all auth, all not found). */
function exitCodeOf(r: PushResult): ExitCode {
  if (r.failed.length === 0) return ExitCode.ok;
  if (r.images.pushed + r.images.skipped > 0) return ExitCode.partial;
  const codes = new Set(r.failed.map((f) => f.error.exitCode));
  return codes.size === 1 ? ([...codes][0] as ExitCode) : ExitCode.failure;
}
