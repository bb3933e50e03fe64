/**
 * The sneakernet archive's foundations: --volume-size parsing, the sha256sum-compatible checksums
 * file (checked with the real `sha256sum -c`), ed25519 signing (checked against the real `openssl`)
 * and `ferry keygen` through the real CLI.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { archiveIdentity, formatChecksums, parseChecksums, type ChecksumEntry } from '../src/archive/checksums.js';
import {
  generateKeyPair,
  loadPrivateKey,
  loadPublicKey,
  parseSignatureFile,
  publicKeyFingerprint,
  publicKeyFromPrivate,
  sign,
  signatureFile,
  verifySignature,
} from '../src/archive/signing.js';
import { MIN_VOLUME_SIZE, VOLUME_SIZE_PRESETS, formatVolumeSize, parseVolumeSize } from '../src/archive/volume-size.js';
import { ExitCode, type FerryError, type InvalidInputError } from '../src/errors.js';
import { removeOnExit } from './helpers/cleanup.js';
import { ferry } from './helpers/cli.js';
import { repoRoot, tempDir } from './helpers/paths.js';

function scratch(): string {
  const dir = tempDir('ferry-archive-');
  removeOnExit(dir);
  return dir;
}

/** Runs a tool; returns status and output (never throws on a non-zero exit). */
function tool(command: string, args: string[], options: { cwd?: string; input?: Buffer } = {}): { status: number; stdout: Buffer; stderr: string } {
  const r = spawnSync(command, args, { cwd: options.cwd, input: options.input });
  if (r.error) throw new Error(`cannot run ${command}: ${r.error.message}`);
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr.toString('utf8') };
}

function toolOk(command: string, args: string[], options: { cwd?: string; input?: Buffer } = {}): Buffer {
  const r = tool(command, args, options);
  assert.equal(r.status, 0, `${command} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** An assert.throws matcher for a FerryError with this code and exit code whose message matches. */
function ferryError(code: string, exitCode: number, message?: RegExp): (e: unknown) => boolean {
  return (e: unknown) => {
    const err = e as FerryError;
    assert.equal(err.code, code, `code of: ${err.message}`);
    assert.equal(err.exitCode, exitCode, `exit code of: ${err.message}`);
    if (message) assert.match(err.message, message);
    return true;
  };
}

const sha256hex = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

describe('--volume-size', () => {
  it('reads plain bytes, with _ grouping and an optional B', () => {
    assert.equal(parseVolumeSize('4700000000'), 4_700_000_000);
    assert.equal(parseVolumeSize('4_700_000_000'), 4_700_000_000);
    assert.equal(parseVolumeSize(' 2097152B '), 2_097_152);
    assert.equal(parseVolumeSize(String(MIN_VOLUME_SIZE)), MIN_VOLUME_SIZE);
  });

  it('reads binary units (powers of 1024), any case, one optional space, fractions rounded down', () => {
    assert.equal(parseVolumeSize('1GiB'), 1024 ** 3);
    assert.equal(parseVolumeSize('1 gib'), 1024 ** 3);
    assert.equal(parseVolumeSize('512MiB'), 512 * 1024 ** 2);
    assert.equal(parseVolumeSize('1024KiB'), 1024 ** 2);
    assert.equal(parseVolumeSize('2TIB'), 2 * 1024 ** 4);
    assert.equal(parseVolumeSize('1.5GiB'), 1_610_612_736);
    assert.equal(parseVolumeSize('1.1MiB'), 1_153_433); // 1153433.6 rounded down
  });

  it('reads decimal units (powers of 1000) exactly, without floating-point drift', () => {
    assert.equal(parseVolumeSize('4.7GB'), 4_700_000_000);
    assert.equal(parseVolumeSize('4.7 gb'), 4_700_000_000);
    assert.equal(parseVolumeSize('700MB'), 700_000_000);
    assert.equal(parseVolumeSize('2000KB'), 2_000_000);
    assert.equal(parseVolumeSize('1TB'), 1e12);
    assert.equal(parseVolumeSize('0.29GB'), 290_000_000); // 0.29 * 1e9 is 289999999.99999997 in floating point
    assert.equal(parseVolumeSize('8.5GB'), VOLUME_SIZE_PRESETS['dvd-dl']);
  });

  it('knows the presets, case-insensitively', () => {
    assert.equal(parseVolumeSize('fat32'), 4_294_967_295);
    assert.equal(parseVolumeSize('FAT32'), 4_294_967_295);
    assert.equal(parseVolumeSize('dvd'), 4_700_000_000);
    assert.equal(parseVolumeSize('dvd-dl'), 8_500_000_000);
    assert.equal(parseVolumeSize('bd'), 25_025_314_816);
    assert.equal(parseVolumeSize('fat32'), 4 * 1024 ** 3 - 1);
  });

  it('refuses everything else with a usage error (exit 2) naming the value and the accepted forms', () => {
    const bad: Array<[string, RegExp]> = [
      ['', /expected a number of bytes/],
      ['lots', /expected a number of bytes/],
      ['4G', /"G" is ambiguous: write GiB .* or GB/],
      ['4 k', /"K" is ambiguous/],
      ['1.5', /cannot have a fraction/],
      ['1.5B', /cannot have a fraction/],
      ['-1GiB', /expected a number/],
      ['4,700,000,000', /expected a number/],
      ['1e9', /expected a number/],
      ['4  GiB', /expected a number/],
      ['.5GiB', /expected a number/],
      ['1PiB', /unknown unit "pib"/],
      ['dvd9', /expected a number/],
      ['4 GiBs', /unknown unit "gibs"/],
      ['1000000', /1,000,000 bytes is below the minimum of 1 MiB .*did you leave out a unit/],
      ['1000KB', /below the minimum/],
      ['0', /0 bytes is below the minimum/],
      ['99999999TiB', /larger than the largest supported size/],
    ];
    for (const [input, message] of bad) {
      assert.throws(
        () => parseVolumeSize(input),
        (e: FerryError) => {
          assert.equal(e.exitCode, ExitCode.usage, input);
          assert.equal(e.code, 'USAGE');
          assert.ok(e.message.startsWith(`invalid --volume-size "${input}": `), e.message);
          assert.match(e.message, message);
          const hints = e.suggestions.join('\n');
          assert.match(hints, /4_700_000_000/);
          assert.match(hints, /powers of 1024/);
          assert.match(hints, /powers of 1000/);
          assert.match(hints, /fat32 \(4,294,967,295 bytes\), dvd \(4,700,000,000 bytes\), dvd-dl \(8,500,000,000 bytes\), bd \(25,025,314,816 bytes\)/);
          return true;
        },
        input,
      );
    }
  });

  it('formats sizes for messages: binary figure, exact bytes, preset name', () => {
    assert.equal(formatVolumeSize(4_700_000_000), '4.4 GiB (4,700,000,000 bytes, dvd)');
    assert.equal(formatVolumeSize(4_294_967_295), '4.0 GiB (4,294,967,295 bytes, fat32)');
    assert.equal(formatVolumeSize(1024 ** 2), '1 MiB (1,048,576 bytes)');
    assert.equal(formatVolumeSize(1_610_612_736), '1.5 GiB (1,610,612,736 bytes)');
    assert.equal(formatVolumeSize(512), '512 bytes');
    assert.equal(parseVolumeSize('2TiB'), 2 * 1024 ** 4);
    assert.equal(formatVolumeSize(2 * 1024 ** 4), '2 TiB (2,199,023,255,552 bytes)');
  });
});

describe('checksums file', () => {
  const h = (c: string): string => c.repeat(64);

  it('writes sha256sum lines sorted by path in byte order, LF-terminated, ignoring sizes', () => {
    const bytes = formatChecksums([
      { path: 'z/é.json', sha256: h('1'), size: 10 },
      { path: 'a b.txt', sha256: h('2'), size: 20 },
      { path: 'B', sha256: h('3'), size: 30 },
      { path: 'a', sha256: h('4'), size: 40 },
      { path: 'a..b', sha256: h('5'), size: 50 },
    ]);
    assert.equal(
      bytes.toString('utf8'),
      `${h('3')}  B\n${h('4')}  a\n${h('2')}  a b.txt\n${h('5')}  a..b\n${h('1')}  z/é.json\n`,
    );
    assert.ok(!bytes.includes('\r'));
    assert.equal(formatChecksums([]).length, 0);
  });

  it('round-trips through parseChecksums; the identity is the sha256 of the exact bytes and does not depend on input order', () => {
    const entries: ChecksumEntry[] = [
      { path: 'blobs/sha256/' + h('a'), sha256: h('b') },
      { path: 'index.json', sha256: h('c') },
      { path: 'catalog/ünïcode name.yaml', sha256: h('d') },
    ];
    const bytes = formatChecksums(entries);
    const parsed = parseChecksums(bytes, 'SHA256SUMS');
    assert.deepEqual(parsed, [...entries].sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path))));
    assert.deepEqual(parseChecksums(bytes.toString('utf8'), 'SHA256SUMS'), parsed);
    const identity = archiveIdentity(bytes);
    assert.equal(identity, `sha256:${sha256hex(bytes)}`);
    assert.match(identity, /^sha256:[0-9a-f]{64}$/);
    assert.equal(archiveIdentity(formatChecksums([...entries].reverse())), identity);
    assert.notEqual(archiveIdentity(formatChecksums(entries.slice(1))), identity);
    assert.deepEqual(parseChecksums(Buffer.alloc(0), 'empty'), []);
  });

  it('is read by the real `sha256sum -c --strict`, byte for byte what sha256sum itself writes, and catches a flipped byte', () => {
    const dir = scratch();
    const files: Record<string, Buffer> = {
      'SHA256SUMS.d/readme.txt': Buffer.from('not the checksums file\n'),
      'blobs/sha256/one': Buffer.from('first blob'),
      'blobs/sha256/two': Buffer.alloc(100_000, 7),
      'catalog/with space.json': Buffer.from('{"a": 1}\n'),
      'catalog/ünïcode.yaml': Buffer.from('x: y\n'),
      '-leading-dash': Buffer.from(''),
      'index.json': Buffer.from('{}'),
    };
    for (const [p, data] of Object.entries(files)) {
      mkdirSync(path.join(dir, path.dirname(p)), { recursive: true });
      writeFileSync(path.join(dir, p), data);
    }
    const sums = formatChecksums(Object.entries(files).map(([p, data]) => ({ path: p, sha256: sha256hex(data), size: data.length })));
    writeFileSync(path.join(dir, 'SHA256SUMS'), sums);

    // What sha256sum writes for the same files in the same order is exactly our file.
    const order = parseChecksums(sums, 'SHA256SUMS').map((e) => e.path);
    assert.deepEqual(toolOk('sha256sum', ['--', ...order], { cwd: dir }), sums);

    const ok = tool('sha256sum', ['-c', '--strict', 'SHA256SUMS'], { cwd: dir });
    assert.equal(ok.status, 0, ok.stderr);
    const lines = ok.stdout.toString('utf8').trimEnd().split('\n');
    assert.equal(lines.length, Object.keys(files).length);
    for (const p of order) assert.ok(lines.includes(`${p}: OK`), `${p}: OK in ${lines.join('|')}`);

    const victim = path.join(dir, 'blobs/sha256/two');
    const data = readFileSync(victim);
    data[50_000] = data[50_000]! ^ 0x01;
    writeFileSync(victim, data);
    const bad = tool('sha256sum', ['-c', '--strict', 'SHA256SUMS'], { cwd: dir });
    assert.equal(bad.status, 1);
    assert.match(bad.stdout.toString('utf8'), /^blobs\/sha256\/two: FAILED$/m);
    assert.match(bad.stdout.toString('utf8'), /^index\.json: OK$/m);
    assert.match(bad.stderr, /1 computed checksum did NOT match/);
  });

  it('refuses unsafe paths, duplicates and bad checksums when writing (exit 3)', () => {
    const unsafe: Array<[string, RegExp]> = [
      ['/etc/passwd', /absolute/],
      ['../x', /"\.\." component/],
      ['a/../b', /"\.\." component/],
      ['a/..', /"\.\." component/],
      ['a\nb', /control character/],
      ['a\rb', /control character/],
      ['a\tb', /control character/],
      ['a\\b', /backslash/],
      ['', /empty/],
      ['./a', /canonical/],
      ['a//b', /canonical/],
      ['a/', /canonical/],
      ['C:/x', /drive letter/],
      ['bad\uD800', /lone surrogate/],
    ];
    for (const [p, reason] of unsafe) {
      assert.throws(() => formatChecksums([{ path: 'fine', sha256: h('0') }, { path: p, sha256: h('1') }]), ferryError('UNSAFE_PATH', ExitCode.invalidInput, reason), JSON.stringify(p));
      assert.throws(() => formatChecksums([{ path: p, sha256: h('1') }]), (e: Error) => e.message.includes(JSON.stringify(p)));
    }
    assert.throws(() => formatChecksums([{ path: 'a', sha256: h('1') }, { path: 'b', sha256: h('2') }, { path: 'a', sha256: h('3') }]), ferryError('DUPLICATE_PATH', ExitCode.invalidInput, /"a" is listed twice/));
    for (const sha of [h('A'), h('1').slice(1), `sha256:${h('1')}`, '']) {
      assert.throws(() => formatChecksums([{ path: 'a', sha256: sha }]), ferryError('INVALID_DIGEST', ExitCode.invalidInput, /not 64 lowercase hex/));
    }
  });

  it('parses strictly, reporting every problem with its line number (exit 3)', () => {
    const text = [
      `${h('1')}  a`, // 1 fine
      `${h('2')}  b\r`, // 2 CRLF
      `${h('A')}  c`, // 3 uppercase hex
      `${h('4')}  a`, // 4 duplicate of line 1
      `${h('5')}  ../etc/passwd`, // 5 unsafe
      `${h('6')} d`, // 6 one space
      '', // 7 blank
      `${h('7')} *e`, // 8 binary marker
      `${h('8').slice(2)}  f`, // 9 short checksum
      `SHA256 (g) = ${h('9')}`, // 10 BSD style
      `\\${h('9')}  h\\\\x`, // 11 escaped name
      `${h('a')}  /abs`, // 12 absolute
      `${h('b')}  A`, // 13 out of order (A sorts before a)
      `${h('c')}  zz`, // 14 fine, but no final newline
    ].join('\n');
    assert.throws(
      () => parseChecksums(text, 'SHA256SUMS'),
      (e: InvalidInputError) => {
        assert.equal(e.code, 'INVALID_INPUT');
        assert.equal(e.exitCode, ExitCode.invalidInput);
        assert.match(e.message, /^SHA256SUMS is not a valid ferry checksums file \(13 problems\)/);
        const at = (line: number): string => e.problems.filter((p) => p.file === `SHA256SUMS:${line}`).map((p) => p.message).join(' | ');
        assert.equal(at(1), '');
        assert.match(at(2), /CRLF line ending/);
        assert.match(at(3), /lowercase hex/);
        assert.match(at(4), /"a" is listed again \(first on line 1\)/);
        assert.match(at(5), /unsafe path "\.\.\/etc\/passwd".*"\.\." component/);
        assert.match(at(6), /two spaces/);
        assert.match(at(7), /blank line/);
        assert.match(at(8), /binary-mode marker/);
        assert.match(at(9), /62 hex digits, expected 64/);
        assert.match(at(10), /BSD-style/);
        assert.match(at(11), /escaped file names/);
        assert.match(at(12), /unsafe path "\/abs".*absolute/);
        assert.match(at(13), /"A" is out of order.*sorts before "a"/);
        assert.match(at(14), /does not end with a newline/);
        assert.equal(e.problems.length, 13);
        return true;
      },
    );
    assert.throws(() => parseChecksums(Buffer.from([0x61, 0xff, 0x0a]), 'bin'), (e: InvalidInputError) => e.exitCode === ExitCode.invalidInput && /not valid UTF-8/.test(e.message));
    assert.throws(() => parseChecksums(`${h('1')}  a\r\n`, 'crlf'), (e: InvalidInputError) => e.problems.length === 1 && e.problems[0]!.file === 'crlf:1' && /CRLF/.test(e.problems[0]!.message));
    // A huge garbage file reports a bounded number of problems, and says how many more there were.
    const garbage = 'x\n'.repeat(200);
    assert.throws(() => parseChecksums(garbage, 'junk'), (e: InvalidInputError) => e.problems.length === 51 && /150 more problems not shown/.test(e.problems[50]!.message) && /\(200 problems\)/.test(e.message));
  });
});

describe('signing', () => {
  const data = Buffer.from('the checksums file\n');

  it('signs and verifies: PEM keys, 64-byte deterministic signatures, a one-line base64 signature file', () => {
    const pair = generateKeyPair();
    assert.match(pair.privateKeyPem, /^-----BEGIN PRIVATE KEY-----\n[A-Za-z0-9+/=\n]+-----END PRIVATE KEY-----\n$/);
    assert.match(pair.publicKeyPem, /^-----BEGIN PUBLIC KEY-----\n[A-Za-z0-9+/=\n]+-----END PUBLIC KEY-----\n$/);
    const sig = sign(data, pair.privateKeyPem);
    assert.equal(sig.length, 64);
    assert.deepEqual(sign(data, pair.privateKeyPem), sig); // ed25519 is deterministic
    const file = signatureFile(sig);
    assert.match(file, /^[A-Za-z0-9+/]{86}==\n$/);
    assert.deepEqual(parseSignatureFile(file), sig);
    assert.equal(verifySignature(data, file, pair.publicKeyPem), true);
    assert.equal(verifySignature(data, Buffer.from(file), pair.publicKeyPem), true);
    assert.equal(verifySignature(data, file.trimEnd(), pair.publicKeyPem), true);
    assert.equal(verifySignature(data, file.replace('\n', '\r\n'), pair.publicKeyPem), true);
    assert.equal(publicKeyFromPrivate(pair.privateKeyPem), pair.publicKeyPem);
  });

  it('fails for tampered data, a tampered signature and the wrong key', () => {
    const pair = generateKeyPair();
    const other = generateKeyPair();
    const sig = sign(data, pair.privateKeyPem);
    const file = signatureFile(sig);
    const tamperedData = Buffer.from(data);
    tamperedData[3] = tamperedData[3]! ^ 0x20;
    assert.equal(verifySignature(tamperedData, file, pair.publicKeyPem), false);
    assert.equal(verifySignature(Buffer.concat([data, Buffer.from(' ')]), file, pair.publicKeyPem), false);
    for (const i of [0, 31, 32, 63]) {
      const bad = Buffer.from(sig);
      bad[i] = bad[i]! ^ 0x01;
      assert.equal(verifySignature(data, signatureFile(bad), pair.publicKeyPem), false, `bit flipped in byte ${i}`);
    }
    assert.equal(verifySignature(data, file, other.publicKeyPem), false);
    assert.equal(verifySignature(data, signatureFile(sign(data, other.privateKeyPem)), pair.publicKeyPem), false);
  });

  it('refuses a malformed signature file with INVALID_SIGNATURE (exit 6), naming it', () => {
    const pair = generateKeyPair();
    const file = signatureFile(sign(data, pair.privateKeyPem));
    for (const bad of ['', '\n', file.slice(0, 40) + '\n', file.replace(/==\n$/, '\n'), `${file}${file}`, `# ferry\n${file}`, `!${file.slice(1)}`, file.replace('\n', ' \n'), Buffer.alloc(64, 1).toString('latin1')]) {
      assert.throws(() => verifySignature(data, bad, pair.publicKeyPem, 'archive/SHA256SUMS.sig'), ferryError('INVALID_SIGNATURE', ExitCode.integrity, /^archive\/SHA256SUMS\.sig is not a ferry signature/), JSON.stringify(bad));
    }
    assert.throws(() => signatureFile(Buffer.alloc(63)), /64 bytes, got 63/);
  });

  it('interoperates with openssl both ways: keys, signatures and the signature file via base64 -d', async () => {
    const dir = scratch();
    const dataFile = path.join(dir, 'SHA256SUMS');
    writeFileSync(dataFile, data);

    // ferry's key and signature, checked by openssl (raw bytes, and the .sig file decoded by coreutils base64).
    const pair = generateKeyPair();
    writeFileSync(path.join(dir, 'ferry.pub'), pair.publicKeyPem);
    const sig = sign(data, pair.privateKeyPem);
    writeFileSync(path.join(dir, 'ferry-sig.bin'), sig);
    writeFileSync(path.join(dir, 'SHA256SUMS.sig'), signatureFile(sig));
    const verifyArgs = (pub: string, sigFile: string, input = dataFile): string[] => ['pkeyutl', '-verify', '-pubin', '-inkey', pub, '-rawin', '-in', input, '-sigfile', sigFile];
    let r = tool('openssl', verifyArgs(path.join(dir, 'ferry.pub'), path.join(dir, 'ferry-sig.bin')));
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout.toString(), /Signature Verified Successfully/);
    writeFileSync(path.join(dir, 'decoded.bin'), toolOk('base64', ['-d', path.join(dir, 'SHA256SUMS.sig')]));
    assert.equal(tool('openssl', verifyArgs(path.join(dir, 'ferry.pub'), path.join(dir, 'decoded.bin'))).status, 0);
    writeFileSync(path.join(dir, 'tampered'), Buffer.concat([data, Buffer.from('x')]));
    r = tool('openssl', verifyArgs(path.join(dir, 'ferry.pub'), path.join(dir, 'ferry-sig.bin'), path.join(dir, 'tampered')));
    assert.notEqual(r.status, 0);
    assert.match(r.stdout.toString() + r.stderr, /Signature Verification Failure/);

    // An openssl key: ferry loads it, and what ferry signs with it openssl verifies.
    const osslKey = path.join(dir, 'openssl.key');
    const osslPub = path.join(dir, 'openssl.pub');
    toolOk('openssl', ['genpkey', '-algorithm', 'ed25519', '-out', osslKey]);
    toolOk('openssl', ['pkey', '-in', osslKey, '-pubout', '-out', osslPub]);
    const privateKeyPem = await loadPrivateKey(osslKey);
    const publicKeyPem = await loadPublicKey(osslPub);
    assert.equal(publicKeyFromPrivate(privateKeyPem), publicKeyPem);
    writeFileSync(path.join(dir, 'ferry-with-openssl-key.bin'), sign(data, privateKeyPem));
    assert.equal(tool('openssl', verifyArgs(osslPub, path.join(dir, 'ferry-with-openssl-key.bin'))).status, 0);

    // openssl's signature, checked by ferry.
    const osslSig = path.join(dir, 'openssl-sig.bin');
    toolOk('openssl', ['pkeyutl', '-sign', '-inkey', osslKey, '-rawin', '-in', dataFile, '-out', osslSig]);
    const raw = readFileSync(osslSig);
    assert.equal(raw.length, 64);
    assert.deepEqual(raw, sign(data, privateKeyPem)); // same key, same data: the same deterministic signature
    assert.equal(verifySignature(data, signatureFile(raw), publicKeyPem), true);
    assert.equal(verifySignature(Buffer.concat([data, Buffer.from('x')]), signatureFile(raw), publicKeyPem), false);
    assert.equal(verifySignature(data, signatureFile(raw), pair.publicKeyPem), false);
  });

  it('fingerprints the raw 32-byte public key like ssh: SHA256:<unpadded base64>, as computed from openssl', () => {
    const dir = scratch();
    const pair = generateKeyPair();
    const pub = path.join(dir, 'k.pub');
    writeFileSync(pub, pair.publicKeyPem);
    const der = toolOk('openssl', ['pkey', '-pubin', '-in', pub, '-outform', 'DER']);
    assert.equal(der.length, 44); // 12-byte SPKI header + 32-byte key
    const expected = `SHA256:${createHash('sha256').update(der.subarray(12)).digest('base64').replace(/=+$/, '')}`;
    const fp = publicKeyFingerprint(pair.publicKeyPem);
    assert.equal(fp, expected);
    assert.match(fp, /^SHA256:[A-Za-z0-9+/]{43}$/);
    assert.notEqual(publicKeyFingerprint(generateKeyPair().publicKeyPem), fp);
  });

  it('refuses key files it cannot use: missing (exit 5), encrypted, other algorithms, wrong half, not a key (exit 3, naming the file)', async () => {
    const dir = scratch();
    const f = (name: string): string => path.join(dir, name);
    const pair = generateKeyPair();
    writeFileSync(f('good.key'), pair.privateKeyPem);
    writeFileSync(f('good.pub'), pair.publicKeyPem);
    toolOk('openssl', ['genpkey', '-algorithm', 'ed25519', '-aes-256-cbc', '-pass', 'pass:secret', '-out', f('encrypted.key')]);
    toolOk('openssl', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:1024', '-out', f('rsa.key')]);
    toolOk('openssl', ['pkey', '-in', f('rsa.key'), '-pubout', '-out', f('rsa.pub')]);
    toolOk('openssl', ['genpkey', '-algorithm', 'ed448', '-out', f('ed448.key')]);
    toolOk('openssl', ['genpkey', '-algorithm', 'x25519', '-out', f('x25519.key')]);
    toolOk('openssl', ['pkey', '-in', f('x25519.key'), '-pubout', '-out', f('x25519.pub')]);
    writeFileSync(f('garbage.key'), 'hello\n');
    writeFileSync(f('broken.key'), '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n');
    writeFileSync(f('openssh.pub'), 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGcHq9P6j4JkXtB0yVdC4ffqJf7l0mYQZgMcrv5pN4jL user@host\n');
    writeFileSync(f('openssh.key'), '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n');
    writeFileSync(f('huge.key'), Buffer.alloc(1024 * 1024, 0x41));
    mkdirSync(f('dir.key'));

    await assert.rejects(loadPrivateKey(f('missing.key')), ferryError('NOT_FOUND', ExitCode.notFound, /private key file .*missing\.key does not exist/));
    await assert.rejects(loadPublicKey(f('missing.pub')), ferryError('NOT_FOUND', ExitCode.notFound, /public key file .*missing\.pub does not exist/));

    const invalid = ExitCode.invalidInput;
    const cases: Array<[() => Promise<string>, string, RegExp]> = [
      [() => loadPrivateKey(f('encrypted.key')), 'encrypted.key', /is an encrypted private key; ferry reads unencrypted keys only/],
      [() => loadPrivateKey(f('rsa.key')), 'rsa.key', /holds a key of type rsa; ferry signs with ed25519 only/],
      [() => loadPublicKey(f('rsa.pub')), 'rsa.pub', /holds a key of type rsa/],
      [() => loadPrivateKey(f('ed448.key')), 'ed448.key', /holds a key of type ed448/],
      [() => loadPrivateKey(f('x25519.key')), 'x25519.key', /holds a key of type x25519/],
      [() => loadPublicKey(f('x25519.pub')), 'x25519.pub', /holds a key of type x25519/],
      [() => loadPrivateKey(f('good.pub')), 'good.pub', /holds a public key; signing needs the private key/],
      [() => loadPublicKey(f('good.key')), 'good.key', /holds a private key; give the public key/],
      [() => loadPrivateKey(f('garbage.key')), 'garbage.key', /is not a PEM key file/],
      [() => loadPrivateKey(f('broken.key')), 'broken.key', /is not a readable private key/],
      [() => loadPublicKey(f('openssh.pub')), 'openssh.pub', /is an OpenSSH public key/],
      [() => loadPrivateKey(f('openssh.key')), 'openssh.key', /is an OpenSSH private key/],
      [() => loadPrivateKey(f('huge.key')), 'huge.key', /far too large/],
      [() => loadPrivateKey(f('dir.key')), 'dir.key', /is a directory/],
    ];
    for (const [load, name, message] of cases) {
      await assert.rejects(load(), (e: FerryError) => {
        ferryError('INVALID_KEY', invalid, message)(e);
        assert.ok(e.message.startsWith(f(name)), `names the file: ${e.message}`);
        return true;
      });
    }
    assert.equal(await loadPrivateKey(f('good.key')), pair.privateKeyPem);
    assert.equal(await loadPublicKey(f('good.pub')), pair.publicKeyPem);
    assert.throws(() => sign(data, pair.publicKeyPem), ferryError('INVALID_KEY', invalid, /the private key holds a public key/));
    assert.throws(() => verifySignature(data, signatureFile(Buffer.alloc(64)), 'nonsense'), ferryError('INVALID_KEY', invalid, /the public key is not a PEM key file/));
  });
});

describe('ferry keygen (real CLI)', () => {
  const mode = (file: string): number => statSync(file).mode & 0o777;

  it('writes PREFIX.key (0600) and PREFIX.pub (0644), a working pair, and reports the fingerprint', async () => {
    const dir = scratch();
    const prefix = path.join(dir, 'keys', 'site-a');
    const run = ferry(['keygen', '--output', prefix, '--json']);
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.json?.status, 'ok');
    const result = run.json?.result as { privateKey: string; publicKey: string; fingerprint: string };
    assert.deepEqual(Object.keys(result).sort(), ['fingerprint', 'privateKey', 'publicKey']);
    assert.equal(result.privateKey, `${prefix}.key`);
    assert.equal(result.publicKey, `${prefix}.pub`);
    assert.equal(mode(result.privateKey), 0o600);
    assert.equal(mode(result.publicKey), 0o644);
    assert.deepEqual(readdirSync(path.join(dir, 'keys')).sort(), ['site-a.key', 'site-a.pub']); // no temp files left
    const privateKeyPem = await loadPrivateKey(result.privateKey);
    const publicKeyPem = await loadPublicKey(result.publicKey);
    assert.match(result.fingerprint, /^SHA256:[A-Za-z0-9+/]{43}$/);
    assert.equal(result.fingerprint, publicKeyFingerprint(publicKeyPem));
    assert.equal(verifySignature(Buffer.from('x'), signatureFile(sign(Buffer.from('x'), privateKeyPem)), publicKeyPem), true);
    // openssl reads both files.
    assert.equal(toolOk('openssl', ['pkey', '-in', result.privateKey, '-pubout']).toString(), readFileSync(result.publicKey, 'utf8'));
  });

  it('refuses to overwrite without --force (exit 2, nothing written), and --force replaces the pair', () => {
    const dir = scratch();
    const prefix = path.join(dir, 'ferry-signing');
    const first = ferry(['keygen', '--output', prefix, '--json']);
    assert.equal(first.status, 0, first.stderr);
    const key = readFileSync(`${prefix}.key`);
    const pub = readFileSync(`${prefix}.pub`);

    const again = ferry(['keygen', '--output', prefix, '--json']);
    assert.equal(again.status, ExitCode.usage);
    assert.equal(again.json?.status, 'error');
    assert.equal(again.json?.error.code, 'USAGE');
    assert.match(again.json?.error.message, new RegExp(`${prefix}\\.key and ${prefix}\\.pub already exist; nothing was written`));
    assert.ok(again.json?.error.suggestions.some((s: string) => s.includes('--force')));
    assert.deepEqual(readFileSync(`${prefix}.key`), key);
    assert.deepEqual(readFileSync(`${prefix}.pub`), pub);
    assert.deepEqual(readdirSync(dir).sort(), ['ferry-signing.key', 'ferry-signing.pub']);

    // One half present is enough to refuse; the missing half is not written either.
    rmSync(`${prefix}.pub`);
    const half = ferry(['keygen', '--output', prefix]);
    assert.equal(half.status, ExitCode.usage);
    assert.match(half.stderr, /ferry: error \[USAGE\]: .*ferry-signing\.key already exists; nothing was written/);
    assert.match(half.stderr, /hint: pass --force/);
    assert.deepEqual(readdirSync(dir), ['ferry-signing.key']);
    assert.deepEqual(readFileSync(`${prefix}.key`), key);

    // --force replaces, and the private key ends up 0600 even if the old file was not.
    writeFileSync(`${prefix}.pub`, pub);
    chmodSync(`${prefix}.key`, 0o644);
    const forced = ferry(['keygen', '--output', prefix, '--force', '--json']);
    assert.equal(forced.status, 0, forced.stderr);
    assert.notDeepEqual(readFileSync(`${prefix}.key`), key);
    assert.notDeepEqual(readFileSync(`${prefix}.pub`), pub);
    assert.equal(mode(`${prefix}.key`), 0o600);
    assert.equal(mode(`${prefix}.pub`), 0o644);
    assert.notEqual(forced.json?.result.fingerprint, first.json?.result.fingerprint);
    assert.deepEqual(readdirSync(dir).sort(), ['ferry-signing.key', 'ferry-signing.pub']);
  });

  it('uses ./ferry-signing by default, takes PREFIX.key as PREFIX, and prints paths, fingerprint and how pack/verify use them', () => {
    const dir = scratch();
    const human = ferry(['keygen'], { cwd: dir });
    assert.equal(human.status, 0, human.stderr);
    const fp = publicKeyFingerprint(readFileSync(path.join(dir, 'ferry-signing.pub'), 'utf8'));
    assert.match(human.stdout, new RegExp(`^Private key: ${path.join(dir, 'ferry-signing.key')} `, 'm'));
    assert.match(human.stdout, new RegExp(`^Public key: +${path.join(dir, 'ferry-signing.pub')}$`, 'm'));
    assert.ok(human.stdout.includes(`Fingerprint: ${fp}\n`));
    assert.ok(human.stdout.includes(`ferry pack --sign-key ${path.join(dir, 'ferry-signing.key')}`));
    assert.ok(human.stdout.includes(`ferry verify --key ${path.join(dir, 'ferry-signing.pub')}`));

    const suffixed = ferry(['keygen', '-o', path.join(dir, 'other.key'), '--json']);
    assert.equal(suffixed.status, 0, suffixed.stderr);
    assert.equal(suffixed.json?.result.privateKey, path.join(dir, 'other.key'));
    assert.equal(suffixed.json?.result.publicKey, path.join(dir, 'other.pub'));

    const folder = ferry(['keygen', '--output', `${dir}/`, '--json']);
    assert.equal(folder.status, ExitCode.usage);
    assert.match(folder.json?.error.message, /expected a file name prefix/);
    const underFile = ferry(['keygen', '--output', path.join(dir, 'ferry-signing.pub', 'k'), '--json']);
    assert.equal(underFile.status, ExitCode.usage);
    assert.match(underFile.json?.error.message, /a parent of .* is a file, not a folder/);
    assert.deepEqual(readdirSync(dir).sort(), ['ferry-signing.key', 'ferry-signing.pub', 'other.key', 'other.pub']);
  });

  it('sets the modes exactly whatever the umask', () => {
    const dir = scratch();
    const prefix = path.join(dir, 'k');
    const r = spawnSync('sh', ['-c', 'umask 077 && exec "$0" "$@"', process.execPath, path.join(repoRoot, 'bin', 'run.js'), 'keygen', '--output', prefix], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(mode(`${prefix}.key`), 0o600);
    assert.equal(mode(`${prefix}.pub`), 0o644);
  });
});
