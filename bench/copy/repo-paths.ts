/** Where the copy benchmark finds the repository, the ferry CLI, the peak-RSS helper and its results folder. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Source tree: this file is bench/copy/repo-paths.ts, compiled to dist/bench/copy/repo-paths.js. */
const HERE = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(HERE, '..', '..', '..');
const BENCH_DIR = path.join(REPO_ROOT, 'bench');
export const CLI = path.join(REPO_ROOT, 'bin', 'run.js');
export const PEAK_RSS_HELPER = path.join(BENCH_DIR, 'peak-rss.js');
export const RESULTS_DIR = path.join(BENCH_DIR, 'results');
