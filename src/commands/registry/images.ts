import { Flags } from '@oclif/core';
import { FerryCommand, type Outcome } from '../../cli/base-command.js';
import { listDatabaseImages, type ListImagesResult } from '../../catalog/operations/list-images.js';
import { ExitCode } from '../../errors.js';

export default class RegistryImages extends FerryCommand<ListImagesResult> {
  static override summary = 'List every image a catalog needs.';
  static override description =
    'Prints the related images of the catalog (CSV relatedImages, deployment containers and initContainers, bundle images), one per line, normalized (strimzi/operator:0.12.2 → docker.io/strimzi/operator:0.12.2), sorted and de-duplicated. A stored string that is not a valid image reference is reported on stderr with the bundles that name it, and the exit code is 7 (partial).';
  static override examples = [
    '<%= config.bin %> <%= command.id %> --from-db index.db',
    '<%= config.bin %> <%= command.id %> --from-db index.db --bundle etcdoperator.v0.9.2',
  ];

  static override flags = {
    'from-db': Flags.string({ description: 'Operator-registry database to read.', required: true }),
    bundle: Flags.string({ description: 'Only the images of this bundle (CSV name).' }),
  };

  protected async execute(): Promise<Outcome<ListImagesResult>> {
    const { flags } = await this.parse(RegistryImages);
    const result = await listDatabaseImages({ database: flags['from-db'], ...(flags.bundle === undefined ? {} : { bundle: flags.bundle }) });
    const warnings = result.invalid.map((i) => `${i.reason} (named by ${i.bundles.join(', ')})`);
    return { result, warnings, exitCode: result.invalid.length > 0 ? ExitCode.partial : ExitCode.ok };
  }

  protected display(r: ListImagesResult): void {
    for (const image of r.images) this.log(image);
  }
}
