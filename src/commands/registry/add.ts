import { Flags } from '@oclif/core';
import { FerryCommand, type Outcome } from '../../cli/base-command.js';
import { databaseFlag, modeFlag, optionalFromDirFlag } from '../../cli/flags.js';
import { registryOptions, singleRegistryFlags } from '../../cli/registry-flags.js';
import { addToDatabase, type AddResult } from '../../catalog/operations/change-database.js';
import { UsageError } from '../../errors.js';

export default class RegistryAdd extends FerryCommand<AddResult> {
  static override summary = 'Add bundles or packages to an existing database.';
  static override description =
    'Bundle images (-b/--bundles, as opm registry add -b) and bundle folders extend a package already in the database as opm does: the new bundles join the stored ones, each channel\'s head is the highest version, and the channels are rebuilt (replaces/skips resolved against the bundles already there; in semver modes ordered by version). A package-manifest folder of a package already there replaces it whole (with a warning). The database is changed in memory and written back atomically only when everything succeeded; an older schema (5 and later) is migrated to 13.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> --database index.db -b quay.io/example/etcd-bundle:0.9.4',
    '<%= config.bin %> <%= command.id %> --database index.db -b registry.local:5000/op-bundle:2.0.0 --mode semver',
    '<%= config.bin %> <%= command.id %> --database index.db --from-dir ./more-operators',
  ];

  static override flags = {
    database: databaseFlag,
    bundles: Flags.string({ char: 'b', aliases: ['bundle-images'], description: 'Bundle images to add (pulled; /manifests and /metadata unpacked). Comma-separated or repeated.', multiple: true, delimiter: ',' }),
    'from-dir': optionalFromDirFlag,
    mode: modeFlag,
    ...singleRegistryFlags,
  };

  protected async execute(): Promise<Outcome<AddResult>> {
    const { flags } = await this.parse(RegistryAdd);
    if (!flags.bundles && !flags['from-dir']) throw new UsageError('nothing to add: give -b/--bundles IMAGE,... or --from-dir DIR');
    const result = await addToDatabase({
      database: flags.database,
      ...(flags['from-dir'] ? { fromDirs: flags['from-dir'] } : {}),
      ...(flags.bundles ? { bundles: flags.bundles } : {}),
      mode: flags.mode,
      source: registryOptions(flags),
      signal: this.signal,
    });
    for (const note of result.notes) this.info(note);
    return { result, warnings: result.warnings };
  }

  protected display(r: AddResult): void {
    this.log(`added ${r.bundles} bundles (${r.packages} packages) to ${r.database}; it now holds ${r.packagesAfter.length} packages`);
  }
}
