import { FerryCommand, type Outcome } from '../../cli/base-command.js';
import { databaseFlag, packagesFlag } from '../../cli/flags.js';
import { pruneDatabase, type ChangeResult } from '../../catalog/operations/change-database.js';

export default class RegistryPrune extends FerryCommand<ChangeResult> {
  static override summary = 'Keep only the named packages in a database.';
  static override description = 'Removes every package not in the list, then bundles left in no channel, then compacts the file (VACUUM), as opm registry prune does.';
  static override examples = ['<%= config.bin %> <%= command.id %> --database index.db --packages etcd,strimzi-kafka-operator'];

  static override flags = {
    database: databaseFlag,
    packages: packagesFlag('p', 'Comma-separated names of the packages to keep.'),
  };

  protected async execute(): Promise<Outcome<ChangeResult>> {
    const { flags } = await this.parse(RegistryPrune);
    return { result: await pruneDatabase({ database: flags.database, keep: flags.packages }) };
  }

  protected display(r: ChangeResult): void {
    this.log(`kept ${r.packagesAfter.length} packages in ${r.database}; removed ${r.packagesBefore.length - r.packagesAfter.length}`);
  }
}
