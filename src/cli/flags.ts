/** Flags several commands share, spelled as opm spells them. */
import { Flags } from '@oclif/core';

export const databaseFlag = Flags.string({
  char: 'd',
  description: 'Path to the operator-registry sqlite database (read schema 5 to 13; written as schema 13).',
  required: true,
});

const FROM_DIR_DESCRIPTION =
  'Folder of operator manifests: a package-manifest folder (nested or flattened), a bundle folder, a flattened `data:` file, or a folder holding many of them. Repeat or comma-separate for several.';

export const fromDirFlag = Flags.string({ required: true, description: FROM_DIR_DESCRIPTION, multiple: true, delimiter: ',' });

/** --from-dir where other sources may stand in for it (registry build). */
export const optionalFromDirFlag = Flags.string({ description: FROM_DIR_DESCRIPTION, multiple: true, delimiter: ',' });

export const modeFlag = Flags.option({
  char: 'm',
  description:
    'How channels of bundle packages are built, as opm --mode: replaces (head = highest version, entries along replaces/skips), semver (entries ordered by version), semver-skippatch (semver, and each bundle also skips the lower patch versions of its major.minor), or auto (ferry\'s default): replaces where that graph reaches every bundle, semver otherwise.',
  options: ['auto', 'replaces', 'semver', 'semver-skippatch'] as const,
  default: 'auto' as const,
})();

export function packagesFlag(char: 'o' | 'p', description: string) {
  return Flags.string({ char, description, required: true, multiple: true, delimiter: ',' });
}
