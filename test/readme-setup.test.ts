import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { repoRoot } from './helpers/paths.js';

/* The README's two first commands are what a new user runs on a fresh machine: the test command must
 * install every outside tool the suite uses, and .ci/run must install the same ones. */

/** Every program outside node that the main suite's helpers start (see test/helpers). */
const TOOLS_THE_SUITE_STARTS = ['docker-registry', 'skopeo', 'umoci', 'sqlite3', 'openssl', 'tinyproxy'];

function readmeCommands(): string[] {
  const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
  const block = /```sh\n([\s\S]*?)```/.exec(readme);
  assert.ok(block, 'README.md starts with a sh block');
  return block[1]!.split('\n').filter((l) => l.trim() !== '').map((l) => l.replace(/\s+#.*$/, ''));
}

function aptPackages(command: string): string[] {
  const m = /apt-get install -y(?: -qq)? ([a-z0-9 .+-]+?)(?:$|\s*&&)/m.exec(command);
  return m ? m[1]!.trim().split(/\s+/) : [];
}

test('the README has two commands: the example (node alone) and the test suite with every tool it needs installed', () => {
  const commands = readmeCommands();
  assert.equal(commands.length, 2);
  const [example, tests] = commands as [string, string];
  assert.equal(example, 'npm ci && npm run example');
  assert.match(tests, /^apt-get update && apt-get install -y .* && npm ci && npm test$/);
  assert.deepEqual(aptPackages(tests).sort(), [...TOOLS_THE_SUITE_STARTS].sort());
});

test('.ci/run installs the same tools the README names', () => {
  const ci = readFileSync(path.join(repoRoot, '.ci', 'run'), 'utf8');
  const checked = /for tool in ([a-z0-9 -]+); do/.exec(ci);
  assert.ok(checked, '.ci/run checks which tools are missing');
  assert.deepEqual(checked[1]!.split(' ').sort(), [...TOOLS_THE_SUITE_STARTS].sort());
  assert.deepEqual(aptPackages(ci).sort(), [...TOOLS_THE_SUITE_STARTS].sort());
  assert.match(ci, /^npm test$/m, '.ci/run runs exactly the README test command');
});

test('every tool the suite starts is installed here', () => {
  for (const tool of TOOLS_THE_SUITE_STARTS) {
    assert.doesNotThrow(() => execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'pipe' }), `${tool} is not on PATH: run the README's test command`);
  }
});
