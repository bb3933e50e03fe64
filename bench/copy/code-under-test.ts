/** Which ferry the copy benchmark measures: the git commit, uncommitted changes in src/, and whether dist/ was rebuilt mid-run. */
import { statSync } from 'node:fs';
import path from 'node:path';
import { exec } from './exec.js';
import { REPO_ROOT } from './repo-paths.js';

/** The commit under test, and whether src/ had changes not yet committed. */
export async function codeVersion(): Promise<{ commit: string; srcDirty: boolean }> {
  const head = await exec('git', ['rev-parse', '--short', 'HEAD'], process.env).catch(() => undefined);
  const status = await exec('git', ['status', '--porcelain', '--', 'src'], process.env).catch(() => undefined);
  return { commit: head?.code === 0 ? head.stdout.toString('utf8').trim() : 'unknown', srcDirty: status?.code === 0 && status.stdout.length > 0 };
}

/** Identifies the compiled CLI: a rebuild (rm -rf dist && tsc) during the run gives a new inode. */
export const distIdentity = (): string => {
  try {
    const s = statSync(path.join(REPO_ROOT, 'dist', 'src'));
    return `${s.ino}:${s.birthtimeMs}`;
  } catch {
    return 'missing';
  }
};
