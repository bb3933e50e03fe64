/**
 * `ferry verify` against `sha256sum` on the same archive files: bytes per second of each. The page
 * cache cannot be dropped without root, so each tool runs twice, alternately (sha256sum, ferry,
 * sha256sum, ferry), and the second (warm) run of each is the figure: both read from memory.
 * Then a negative control: one byte flipped in the middle of the largest blob, ferry verify must
 * fail (and the byte is put back).
 */
import { open, stat } from 'node:fs/promises';
import { expect } from '../copy/broken-copy.js';
import { mustExec } from '../copy/exec.js';
import { runFerryProcess, type FerryProcess } from '../copy/run-tools.js';
import { listArchive } from './read-archive.js';

export interface VerifyThroughput {
  bytes: number;
  files: number;
  sha256sumRunsMs: number[];
  ferryRunsMs: number[];
  /** The warm (second) runs. */
  sha256sumMs: number;
  ferryMs: number;
  ferryPeakRssMb: number | null;
  /** bytes / second of the warm runs. */
  sha256sumBps: number;
  ferryBps: number;
  /** ferryBps / sha256sumBps. */
  ratio: number;
  /** The bytes ferry verify says it verified (its JSON result's verified.bytes), when it says. */
  ferryVerifiedBytes: number | null;
  /** What ferry verify did with a flipped byte: its exit code and error code (or first problem kind). */
  corrupted: { exitCode: number | null; errorCode: string | null; member: string };
}

interface VerifyEnvelope {
  status?: string;
  error?: { code?: string };
  result?: { ok?: boolean; verified?: { bytes?: number }; problems?: Array<{ kind?: string }> };
}

/** True when this build of ferry has a `verify` command (`ferry verify --help` exits 0). */
export async function verifyAvailable(): Promise<boolean> {
  const r = await runFerryProcess(['verify', '--help']);
  return r.code === 0;
}

function envelopeOf(r: FerryProcess): VerifyEnvelope | undefined {
  try {
    return JSON.parse(r.stdout) as VerifyEnvelope;
  } catch {
    return undefined;
  }
}

/** `ferry verify FIRST --json`: must exit 0 and say ok. */
async function ferryVerify(first: string, what: string): Promise<FerryProcess> {
  const r = await runFerryProcess(['verify', first, '--json']);
  const envelope = envelopeOf(r);
  if (r.code !== 0 || (envelope !== undefined && (envelope.status !== 'ok' || envelope.result?.ok === false))) {
    throw new Error(`${what}: ferry verify ${first} exited with ${r.code} on an intact archive\n${r.stderr.slice(-2000)}${r.stdout.slice(0, 2000)}`);
  }
  return r;
}

/** Times sha256sum over all `files` and ferry verify of the first, twice each, alternately; then the flipped-byte control. */
export async function measureVerify(files: readonly string[], what: string): Promise<VerifyThroughput> {
  let bytes = 0;
  for (const f of files) bytes += (await stat(f)).size;
  const sha: number[] = [];
  const ferry: FerryProcess[] = [];
  for (let i = 0; i < 2; i++) {
    sha.push((await mustExec('sha256sum', [...files], process.env)).wallMs);
    ferry.push(await ferryVerify(files[0]!, what));
  }
  const sha256sumMs = sha[1]!;
  const ferryMs = ferry[1]!.wallMs;

  // Negative control: a verify that does not read everything would look fast.
  const { members } = await listArchive(files);
  const largest = members.filter((m) => m.name.startsWith('blobs/')).sort((a, b) => b.size - a.size)[0]!;
  const part = largest.parts[Math.floor(largest.parts.length / 2)]!;
  const at = part.offset + Math.floor(part.size / 2);
  const handle = await open(part.file, 'r+');
  const original = Buffer.alloc(1);
  let corrupted: VerifyThroughput['corrupted'];
  try {
    await handle.read(original, 0, 1, at);
    await handle.write(Buffer.from([original[0]! ^ 0xff]), 0, 1, at);
    const r = await runFerryProcess(['verify', files[0]!, '--json']);
    const envelope = envelopeOf(r);
    corrupted = { exitCode: r.code, errorCode: envelope?.error?.code ?? envelope?.result?.problems?.[0]?.kind ?? null, member: largest.name };
  } finally {
    await handle.write(original, 0, 1, at);
    await handle.close();
  }
  expect(corrupted.exitCode !== 0, `${what}: ferry verify exited 0 with one byte of ${largest.name} flipped (in ${part.file} at ${at})`);

  return {
    bytes,
    files: files.length,
    sha256sumRunsMs: sha,
    ferryRunsMs: ferry.map((r) => r.wallMs),
    sha256sumMs,
    ferryMs,
    ferryPeakRssMb: ferry[1]!.peakRssMb,
    ferryVerifiedBytes: envelopeOf(ferry[1]!)?.result?.verified?.bytes ?? null,
    sha256sumBps: bytes / (sha256sumMs / 1000),
    ferryBps: bytes / (ferryMs / 1000),
    ratio: sha256sumMs / ferryMs,
    corrupted,
  };
}
