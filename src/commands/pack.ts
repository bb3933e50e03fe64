import { Flags } from '@oclif/core';
import { FerryCommand, type Outcome } from '../cli/base-command.js';
import { copyProgress } from '../cli/copy-progress.js';
import { jobsFlag, registryOptions, singleRegistryFlags } from '../cli/registry-flags.js';
import { pack, planPack, type PackPlan, type PackResult } from '../archive/pack/pack.js';
import { parseVolumeSize } from '../archive/volume-size.js';
import { ExitCode, UsageError } from '../errors.js';
import { catalogSourceFlags, catalogSources, hasCatalogSource } from '../cli/catalog-source-flags.js';
import { DEFAULT_BASE_IMAGE } from '../catalog/image/catalog-labels.js';
import { formatBytes } from '../util/format-bytes.js';

export default class Pack extends FerryCommand<PackResult | PackPlan> {
  static override summary = 'Write one archive holding a catalog image and every image its bundles need.';
  static override description =
    'Gathers the catalog image and all its related images (whole indexes, digests unchanged) into a cache, then writes one archive: metadata first, a checksums file that sha256sum -c reads (its sha256 is the archive identity), an optional ed25519 signature, an OCI layout naming each image by its source reference (skopeo copy oci-archive:ARCHIVE:REF works without ferry), and the catalog database. --volume-size splits it into NAME.001.tar, NAME.002.tar, … at member boundaries. Run again after an interruption: nothing already in the cache is downloaded again. An image that cannot be pulled does not stop the others: it is listed with the bundles that need it, recorded in the archive, and the exit code is 7.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> --catalog quay.io/example/catalog:v1',
    '<%= config.bin %> <%= command.id %> --catalog quay.io/example/catalog:v1 -o /media/usb/catalog.tar --volume-size fat32 --sign-key ferry-signing.key',
    '<%= config.bin %> <%= command.id %> --from-dir ./manifests --from quay.io/operator-framework/opm:v1.73.0 --tag example.com/olm/my-catalog:v1',
    '<%= config.bin %> <%= command.id %> --catalog registry.redhat.io/redhat/redhat-operator-index:v4.14 --packages local-storage-operator,odf-operator --dry-run',
    '<%= config.bin %> <%= command.id %> --from-dir examples/manifests --from oci:examples/images:quay.io/ferry-example/catalog-base:latest --tag quay.io/ferry-example/catalog:v1 --images-from examples/images -o ferry-example.tar',
  ];

  static override flags = {
    catalog: Flags.string({ description: 'The catalog image to pack (sqlite or file-based). Or build the catalog first from the source flags below, as registry build does.' }),
    ...catalogSourceFlags,
    from: Flags.string({ description: 'With a source flag: the base image the built catalog database is added to (the default is the last opm release that serves sqlite; opm:latest no longer does).', default: DEFAULT_BASE_IMAGE, aliases: ['binary-image'] }),
    tag: Flags.string({ description: 'With a source flag: the name the built catalog carries (its mirror name derives from it).', default: 'localhost/ferry/catalog:latest' }),
    packages: Flags.string({ description: 'Comma-separated packages to keep (as opm index prune): the catalog in the archive is rebuilt to hold only these, and only their images are packed.' }),
    output: Flags.string({ char: 'o', description: 'Archive file (default: <catalog name>.tar here); with --volume-size, volumes NAME.001.tar… beside it.' }),
    'volume-size': Flags.string({ description: 'Split into volumes of at most this size: bytes, KiB/MiB/GiB, KB/MB/GB, or fat32, dvd, dvd-dl, bd.' }),
    'sign-key': Flags.string({ description: 'ed25519 private key (ferry keygen) to sign the checksums file with.' }),
    'cache-dir': Flags.string({ description: 'Where gathered images are kept between runs (default $XDG_CACHE_HOME/ferry/pack or ~/.cache/ferry/pack).' }),
    'dry-run': Flags.boolean({ description: 'Show what would be packed and its total size, from manifests only: no layer is downloaded, nothing is written but the catalog in the cache.' }),
    'images-from': Flags.string({
      description:
        'An OCI layout folder to take images from before asking their registries (the example images, an unpacked archive, a skopeo or oc-mirror layout): an image whose reference is one of its ref names (compared normalized), or whose digest it holds under a ref name of the same repository, is read from it; every other image is pulled as usual.',
    }),
    'continue-on-error': Flags.boolean({ description: 'Go on when an image cannot be pulled (default); --no-continue-on-error makes the first such failure fatal.', allowNo: true, default: true }),
    ...singleRegistryFlags,
    jobs: jobsFlag,
  };

  protected async execute(): Promise<Outcome<PackResult | PackPlan>> {
    const { flags } = await this.parse(Pack);
    const volumeSize = flags['volume-size'] ? parseVolumeSize(flags['volume-size']) : undefined;
    const building = hasCatalogSource(flags);
    if (building === (flags.catalog !== undefined)) {
      throw new UsageError(building ? '--catalog packs an existing catalog image: do not combine it with --from-dir, --bundles, --appregistry-namespace, --from-db or --from-index' : 'nothing to pack: give --catalog IMAGE, or build one with --from-dir, --bundles, --appregistry-namespace, --from-db or --from-index');
    }
    const catalog = flags.catalog ?? flags.tag;
    const progress = copyProgress({ enabled: this.showsProgress(), log: (l) => this.info(l) });
    let result: PackResult | PackPlan;
    try {
      result = await (flags['dry-run'] ? planPack : pack)({
        catalog,
        ...(building ? { build: { sources: catalogSources(flags, (l) => this.info(l)), base: flags.from } } : {}),
        ...(flags.packages !== undefined ? { packages: flags.packages.split(',').map((p) => p.trim()).filter((p) => p !== '') } : {}),
        ...(flags.output ? { output: flags.output } : {}),
        ...(flags['cache-dir'] ? { cacheDir: flags['cache-dir'] } : {}),
        ...(volumeSize ? { volumeSize } : {}),
        ...(flags['sign-key'] ? { signKeyFile: flags['sign-key'] } : {}),
        continueOnError: flags['continue-on-error'],
        registry: registryOptions(flags),
        ...(flags['images-from'] !== undefined ? { imagesFrom: flags['images-from'] } : {}),
        jobs: flags.jobs,
        ferryVersion: this.config.version,
        signal: this.signal,
        ...(progress.listener ? { onEvent: progress.listener } : {}),
      });
    } finally {
      progress.stop();
    }
    const warnings = [
      ...('warnings' in result ? result.warnings : []),
      ...result.missing.map((m) => `${m.source} could not be packed (needed by ${m.bundles.join(', ')}): [${m.error.code}] ${m.error.message}`),
      ...result.invalid.map((i) => `${i.reason} (named by ${i.bundles.join(', ')})`),
    ];
    return { result, warnings, exitCode: result.missing.length > 0 || result.invalid.length > 0 ? ExitCode.partial : ExitCode.ok };
  }

  protected display(r: PackResult | PackPlan): void {
    if ('dryRun' in r) {
      for (const i of r.images) this.log(`${formatBytes(i.size).padStart(10)}  ${i.source}`);
      const toFetch = r.blobs.bytes - r.blobs.cached.bytes;
      this.info(`would pack ${r.catalog.reference} (${r.catalog.kind}, ${r.packages.length} packages) and ${r.images.length} images: ${r.blobs.count} blobs, ${formatBytes(r.blobs.bytes)} stored once (${formatBytes(toFetch)} to download, ${formatBytes(r.blobs.cached.bytes)} already in ${r.cacheDir}) into ${r.output}`);
      return;
    }
    for (const file of r.files) this.log(file);
    this.info(`archive ${r.identity}: ${r.images} images and the catalog, ${r.members} members, ${formatBytes(r.bytes)} in ${r.files.length} file${r.files.length === 1 ? '' : 's'}${r.signed ? ', signed' : ''}`);
  }
}
