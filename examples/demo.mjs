#!/usr/bin/env node
/**
 * The whole ferry story on the bundled example, offline (`npm run example` builds, then runs this):
 *
 *   1. pack     build a catalog from examples/manifests on the example catalog base, and gather it
 *               with every image its bundles name into one archive; the images come from
 *               examples/images (an OCI layout of small synthetic images), so no registry is asked
 *   2. inspect  what the archive holds; verify: every byte and reference checked
 *   3. serve    the archive as a registry on 127.0.0.1 (as on the disconnected side), writing the
 *               cluster manifests for the names it serves
 *   4. use it   ferry lists the served catalog's images and copies one image out of the mirror
 *   5. stop     the server, and say where everything is
 *
 * Every ferry command is printed before it runs, so the output doubles as a walk-through. Outputs
 * go to examples/out/ (cleaned first). Needs no network, registry, skopeo or umoci. Exits non-zero
 * as soon as a step fails, after stopping the server.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OUT = 'examples/out';
const ARCHIVE = `${OUT}/ferry-example.tar`;
const MANIFESTS = `${OUT}/manifests`;
const CATALOG = 'quay.io/ferry-example/catalog:v1';
const CATALOG_BASE = 'oci:examples/images:quay.io/ferry-example/catalog-base:latest';
/** The operand image copied back out of the mirror (two platforms). */
const OPERAND = 'quay.io/ferry-example/hello-operator:v1.1.0';

const bold = (s) => (process.stdout.isTTY && !process.env.NO_COLOR ? `\x1b[1m${s}\x1b[0m` : s);
const heading = (s) => console.log(`\n${bold(`== ${s}`)}`);
const show = (args) => console.log(bold(`$ ferry ${args.map(quote).join(' ')}`));
const quote = (a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", "'\\''")}'`);

class StepFailed extends Error {}

/** `node bin/run.js ARGS` in the repository root, output passed through; rejects on a non-zero exit. */
function ferry(args) {
  show(args);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/run.js', ...args], { cwd: root, stdio: 'inherit' });
    child.once('error', reject);
    child.once('exit', (code, signal) => (code === 0 ? resolve() : reject(new StepFailed(`ferry ${args[0]} ${signal ? `was killed by ${signal}` : `exited ${code}`}`))));
  });
}

/**
 * `ferry serve` in the background: resolves once it prints `listening on http://HOST:PORT`, with
 * the address and a stop() that sends SIGTERM and waits for exit 0.
 */
function startServer(args) {
  show(args);
  console.log('  (in the background)');
  const child = spawn(process.execPath, ['bin/run.js', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  let exited;
  const exit = new Promise((resolve) => child.once('exit', (code, signal) => resolve((exited = { code, signal }))));
  const stop = async () => {
    if (exited === undefined) child.kill('SIGTERM');
    const { code, signal } = await exit;
    if (code !== 0) throw new StepFailed(`ferry serve ${signal ? `was killed by ${signal}` : `exited ${code}`} when stopped`);
  };
  const ready = new Promise((resolve, reject) => {
    let pending = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk);
      pending += chunk;
      const address = /listening on http:\/\/(\S+)/.exec(pending)?.[1];
      if (address !== undefined) resolve(address);
    });
    child.once('error', reject);
    exit.then(({ code, signal }) => reject(new StepFailed(`ferry serve ${signal ? `was killed by ${signal}` : `exited ${code}`} before it was listening`)));
  });
  return { ready, stop, kill: () => exited === undefined && child.kill('SIGTERM') };
}

/** mapping.txt (`SOURCE=DESTINATION` lines) → Map; waits a little for the server to write it. */
async function readMapping(file) {
  for (let i = 0; i < 100 && !existsSync(path.join(root, file)); i++) await new Promise((r) => setTimeout(r, 100));
  if (!existsSync(path.join(root, file))) throw new StepFailed(`ferry serve wrote no ${file}`);
  const lines = readFileSync(path.join(root, file), 'utf8').split('\n').map((l) => l.trim());
  return new Map(lines.filter((l) => l !== '' && !l.startsWith('#')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

function served(mapping, source) {
  const destination = mapping.get(source);
  if (destination === undefined) throw new StepFailed(`${MANIFESTS}/mapping.txt does not list ${source}`);
  return destination;
}

async function main() {
  console.log('ferry example: the whole story, offline (ferry is ./bin/run.js here; `npm link` gives you `ferry`).');
  rmSync(path.join(root, OUT), { recursive: true, force: true });

  heading('1. Pack: build the catalog from examples/manifests, gather it and every image it needs into one archive');
  console.log('   The images come from examples/images (small synthetic images in an OCI layout): no registry, no network.');
  await ferry(['pack', '--from-dir', 'examples/manifests', '--from', CATALOG_BASE, '--tag', CATALOG, '--images-from', 'examples/images', '-o', ARCHIVE, '--cache-dir', `${OUT}/cache`]);

  heading('2. Inspect and verify the archive (what you would do before and after carrying it across)');
  await ferry(['inspect', ARCHIVE]);
  await ferry(['verify', ARCHIVE]);

  heading('3. Serve the archive as a registry, as on the disconnected side, and write the cluster manifests');
  const server = startServer(['serve', ARCHIVE, '--listen', '127.0.0.1:0', '--manifests', MANIFESTS]);
  const onSignal = () => {
    server.kill();
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let mapping;
  let failure;
  try {
    const address = await server.ready;
    mapping = await readMapping(`${MANIFESTS}/mapping.txt`);
    const catalog = served(mapping, CATALOG);
    const operand = served(mapping, OPERAND);
    console.log(`   ${address} serves the catalog as ${catalog}; ${MANIFESTS}/mapping.txt lists every served name`);

    heading("4. Use the mirror: list the served catalog's images, copy one image out of it");
    await ferry(['registry', 'images', '--from', catalog]);
    await ferry(['image', 'copy', operand, `oci:${OUT}/pulled:${OPERAND}`]);
  } catch (err) {
    failure = err;
  }
  heading('5. Stop the server (SIGTERM)');
  try {
    await server.stop();
  } catch (err) {
    failure ??= err;
  }
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  if (failure !== undefined) throw failure;
  console.log('   stopped');

  heading('Done: where everything is');
  console.log(`   archive           ${ARCHIVE} (carry it across; ferry verify it on the other side)`);
  console.log(`   cluster manifests ${MANIFESTS}/ (apply with: oc apply -f ${MANIFESTS})`);
  console.log(`   image mapping     ${MANIFESTS}/mapping.txt (SOURCE=MIRROR, ${mapping.size} images; ferry image mirror -f reads it)`);
  console.log(`   copied image      ${OUT}/pulled (an OCI layout holding ${OPERAND})`);
  console.log(`   pack cache        ${OUT}/cache (a rerun of pack downloads nothing it holds)`);
  console.log('   The example images are synthetic (the catalog base holds no opm): the mirror and manifests are real, the operators do not run.');
}

main().catch((err) => {
  console.error(`\nexample failed: ${err instanceof StepFailed ? err.message : (err?.stack ?? err)}`);
  process.exit(1);
});
