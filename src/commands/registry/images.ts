import { Flags } from '@oclif/core';
import { FerryCommand, type Outcome } from '../../cli/base-command.js';
import { registryOptions, singleRegistryFlags } from '../../cli/registry-flags.js';
import { listCatalogImageImages } from '../../catalog/operations/list-catalog-image.js';
import { listDatabaseImages, type ListImagesResult } from '../../catalog/operations/list-images.js';
import { ExitCode, UsageError } from '../../errors.js';
import { defaultCatalogName, planMirror, type MirrorPlan } from '../../mirror/plan-mirror.js';

export type RegistryImagesResult = ListImagesResult & { catalog?: { reference: string; digest: string; kind: 'sqlite' | 'fbc'; platform?: string }; mirror?: MirrorPlan };

export default class RegistryImages extends FerryCommand<RegistryImagesResult> {
  static override summary = 'List every image a catalog needs.';
  static override description =
    'Reads a catalog image (--from, from a registry, an oci: layout or an oci-archive:), a tarball written by registry build --save (--from-archive), or a database (--from-db). Both catalog kinds are read: sqlite (the database the image label points at, taken from the layers with whiteouts honoured) and file-based catalogs (every olm.bundle image and relatedImages). Prints the images one per line, normalized (strimzi/operator:0.12.2 → docker.io/strimzi/operator:0.12.2), sorted and de-duplicated, the catalog image itself included. A stored string that is not a valid image reference is reported on stderr with the bundles that name it, and the exit code is 7 (partial).';
  static override examples = [
    '<%= config.bin %> <%= command.id %> --from quay.io/example/catalog:v1',
    '<%= config.bin %> <%= command.id %> --from-archive catalog.tar',
    '<%= config.bin %> <%= command.id %> --from quay.io/example/catalog:v1 --to mirror.example:5000/olm --manifests ./manifests',
    '<%= config.bin %> <%= command.id %> --from-db index.db --bundle etcdoperator.v0.9.2',
  ];

  static override flags = {
    from: Flags.string({ description: 'Catalog image to read (docker://REF or a bare reference, oci:DIR[:NAME], oci-archive:FILE[:NAME]).', exactlyOne: ['from', 'from-archive', 'from-db'] }),
    'from-archive': Flags.string({ description: 'Tarball of a catalog image (registry build --save, docker save, skopeo oci-archive).', exactlyOne: ['from', 'from-archive', 'from-db'] }),
    'from-db': Flags.string({ description: 'Operator-registry database to read.', exactlyOne: ['from', 'from-archive', 'from-db'] }),
    bundle: Flags.string({ description: 'Only the images of this bundle (CSV name; with --from-db).' }),
    to: Flags.string({ description: 'Mirror REGISTRY[/NAMESPACE]: print SRC=DST lines (for ferry image mirror -f or oc image mirror -f) and write the cluster manifests.' }),
    'max-components': Flags.integer({ description: "Name mirrored repositories as oc adm catalog mirror does: drop the source host, keep this many path components (0 = all). Default: keep the host, flatten . and / to -.", min: 0, dependsOn: ['to'] }),
    manifests: Flags.string({ description: 'Folder for mapping.txt, imageContentSourcePolicy.yaml, imageDigestMirrorSet.yaml, imageTagMirrorSet.yaml, catalogSource.yaml (with --to).', default: './manifests' }),
    'catalog-name': Flags.string({ description: 'CatalogSource name (DNS-1123 label). Default: from the catalog repository name.' }),
    'display-name': Flags.string({ description: 'CatalogSource spec.displayName.' }),
    publisher: Flags.string({ description: 'CatalogSource spec.publisher.' }),
    ...singleRegistryFlags,
  };

  protected async execute(): Promise<Outcome<RegistryImagesResult>> {
    const { flags } = await this.parse(RegistryImages);
    if (flags.bundle !== undefined && flags['from-db'] === undefined) throw new UsageError('--bundle works with --from-db');
    const result: RegistryImagesResult =
      flags['from-db'] !== undefined
        ? await listDatabaseImages({ database: flags['from-db'], ...(flags.bundle === undefined ? {} : { bundle: flags.bundle }) })
        : await listCatalogImageImages({
            ...(flags.from !== undefined ? { from: flags.from } : { fromArchive: flags['from-archive']! }),
            registry: registryOptions(flags),
            signal: this.signal,
          });
    if (result.catalog) this.info(`catalog ${result.catalog.reference} (${result.catalog.kind}) ${result.catalog.digest}`);
    const warnings = result.invalid.map((i) => `${i.reason} (named by ${i.bundles.join(', ')})`);
    if (flags.to !== undefined) {
      const catalog = result.catalog?.reference.includes('/') ? result.catalog.reference : undefined;
      result.mirror = await planMirror({
        images: result.images,
        ...(catalog ? { catalog } : {}),
        naming: { to: flags.to, ...(flags['max-components'] === undefined ? {} : { maxComponents: flags['max-components'] }) },
        manifestsDir: flags.manifests,
        catalogName: flags['catalog-name'] ?? defaultCatalogName(catalog),
        ...(flags['display-name'] ? { displayName: flags['display-name'] } : {}),
        ...(flags.publisher ? { publisher: flags.publisher } : {}),
      });
      warnings.push(...result.mirror.warnings);
    }
    return { result, warnings, exitCode: result.invalid.length > 0 ? ExitCode.partial : ExitCode.ok };
  }

  protected display(r: RegistryImagesResult): void {
    if (r.mirror) {
      for (const m of r.mirror.mappings) this.log(`${m.source}=${m.destination}`);
      this.info(`wrote ${r.mirror.written.join(', ')} in ${r.mirror.manifestsDir}`);
      return;
    }
    for (const image of r.images) this.log(image);
  }
}
