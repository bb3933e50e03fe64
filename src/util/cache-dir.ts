/** Where ferry keeps what it may reuse between runs: `$XDG_CACHE_HOME/ferry/<kind>`, else `~/.cache/ferry/<kind>`. */
import { homedir } from 'node:os';
import path from 'node:path';

export function ferryCacheDir(kind: 'pack' | 'push', env: NodeJS.ProcessEnv = process.env): string {
  return path.join(env.XDG_CACHE_HOME || path.join(env.HOME || homedir(), '.cache'), 'ferry', kind);
}
