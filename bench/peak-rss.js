// Runs a node CLI script in this process and, on exit, writes its peak resident set size.
//
//   FERRY_BENCH_RSS_FILE=out.json node bench/peak-rss.js bin/run.js registry images ...
//
// The script sees process.argv as if started directly (`node bin/run.js ...`), so oclif's
// process.argv.slice(2) is unchanged. On exit, {"maxRssKb": N} (process.resourceUsage().maxRSS,
// in kilobytes) is written to $FERRY_BENCH_RSS_FILE, or to stderr when that is not set.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [script, ...args] = process.argv.slice(2);
if (script === undefined) {
  console.error('usage: node bench/peak-rss.js SCRIPT [ARGS...]');
  process.exit(2);
}
const scriptPath = path.resolve(script);
process.argv = [process.argv[0], scriptPath, ...args];

process.on('exit', () => {
  const report = JSON.stringify({ maxRssKb: process.resourceUsage().maxRSS });
  if (process.env.FERRY_BENCH_RSS_FILE) writeFileSync(process.env.FERRY_BENCH_RSS_FILE, report);
  else process.stderr.write(`${report}\n`);
});

await import(pathToFileURL(scriptPath).href);
