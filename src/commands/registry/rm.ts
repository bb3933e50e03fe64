import { FerryCommand, type Outcome } from '../../cli/base-command.js';
import { databaseFlag, packagesFlag } from '../../cli/flags.js';
import { removeFromDatabase, type ChangeResult } from '../../catalog/operations/change-database.js';

export default class RegistryRm extends FerryCommand<ChangeResult> {
  static override summary = 'Remove packages from a database.';
  static override description = 'Removes the packages and their bundles, then bundles left in no channel, then compacts the file (VACUUM), as opm registry rm does.';
  static override examples = ['<%= config.bin %> <%= command.id %> --database index.db --packages etcd,prometheus'];

  static override flags = {
    database: databaseFlag,
    packages: packagesFlag('o', 'Comma-separated names of the packages to remove.'),
  };

  protected async execute(): Promise<Outcome<ChangeResult>> {
    const { flags } = await this.parse(RegistryRm);
    return { result: await removeFromDatabase({ database: flags.database, packages: flags.packages }) };
  }

  protected display(r: ChangeResult): void {
    this.log(`removed ${r.packagesBefore.length - r.packagesAfter.length} packages from ${r.database}; ${r.packagesAfter.length} remain`);
  }
}
