import { randomBytes } from 'node:crypto';

/*
 * A small bcrypt ($2b$) for writing htpasswd files that distribution's registry accepts (it only takes
 * bcrypt). Test-only: not constant-time, not fast. Blowfish's initial state is the fractional part of
 * pi in hex (18 P-array words then 4 × 256 S-box words); rather than inlining 1042 constants it is
 * computed once with BigInt (Machin's formula, well under 100 ms).
 */

const STATE_WORDS = 18 + 4 * 256;
let initialState: Uint32Array | undefined;

function arctanInverse(x: bigint, one: bigint): bigint {
  const x2 = x * x;
  let term = one / x;
  let sum = term;
  for (let k = 1n, sign = -1n; term !== 0n; k++, sign = -sign) {
    term /= x2;
    sum += (sign * term) / (2n * k + 1n);
  }
  return sum;
}

function piState(): Uint32Array {
  if (initialState) return initialState;
  const guard = 64n;
  const bits = BigInt(STATE_WORDS * 32) + guard;
  const one = 1n << bits;
  const pi = 16n * arctanInverse(5n, one) - 4n * arctanInverse(239n, one);
  const fraction = (pi - 3n * one) >> guard;
  const words = new Uint32Array(STATE_WORDS);
  for (let i = 0; i < STATE_WORDS; i++) {
    words[i] = Number((fraction >> BigInt((STATE_WORDS - 1 - i) * 32)) & 0xffffffffn);
  }
  if (words[0] !== 0x243f6a88 || words[STATE_WORDS - 1] !== 0x3ac372e6) throw new Error('bcrypt: bad pi digits');
  initialState = words;
  return words;
}

class Blowfish {
  readonly p: Uint32Array;
  readonly s: Uint32Array;

  constructor() {
    const init = piState();
    this.p = init.slice(0, 18);
    this.s = init.slice(18);
  }

  private f(x: number): number {
    const s = this.s;
    return (((s[x >>> 24] + s[256 + ((x >>> 16) & 0xff)]) ^ s[512 + ((x >>> 8) & 0xff)]) + s[768 + (x & 0xff)]) >>> 0;
  }

  /** Enciphers lr[off], lr[off + 1] in place. */
  encipher(lr: Uint32Array, off: number): void {
    const p = this.p;
    let l = lr[off] ^ p[0];
    let r = lr[off + 1];
    for (let n = 1; n <= 16; n += 2) {
      r ^= this.f(l >>> 0) ^ p[n];
      l ^= this.f(r >>> 0) ^ p[n + 1];
    }
    lr[off] = (r ^ p[17]) >>> 0;
    lr[off + 1] = l >>> 0;
  }

  /** Blowfish_expandstate (with salt) or Blowfish_expand0state (salt undefined). */
  expand(key: Uint8Array, salt?: Uint8Array): void {
    const keyStream = new WordStream(key);
    for (let i = 0; i < 18; i++) this.p[i] = (this.p[i] ^ keyStream.next()) >>> 0;
    const saltStream = salt ? new WordStream(salt) : undefined;
    const lr = new Uint32Array(2);
    const fill = (target: Uint32Array, count: number): void => {
      for (let i = 0; i < count; i += 2) {
        if (saltStream) {
          lr[0] ^= saltStream.next();
          lr[1] ^= saltStream.next();
        }
        this.encipher(lr, 0);
        target[i] = lr[0];
        target[i + 1] = lr[1];
      }
    };
    fill(this.p, 18);
    fill(this.s, 1024);
  }
}

class WordStream {
  private at = 0;
  constructor(private readonly data: Uint8Array) {}
  next(): number {
    let word = 0;
    for (let i = 0; i < 4; i++) {
      word = ((word << 8) | this.data[this.at]) >>> 0;
      this.at = (this.at + 1) % this.data.length;
    }
    return word;
  }
}

const STANDARD = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const BCRYPT = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function encode64(bytes: Uint8Array): string {
  const std = Buffer.from(bytes).toString('base64').replace(/=+$/, '');
  return [...std].map((c) => BCRYPT[STANDARD.indexOf(c)]).join('');
}

function decode64(text: string): Buffer {
  return Buffer.from([...text].map((c) => STANDARD[BCRYPT.indexOf(c)]).join(''), 'base64');
}

/** The bcrypt hash of password: "$2b$" + cost + "$" + 22 salt chars + 31 hash chars. */
export function bcryptHash(password: string, cost = 5, salt: Uint8Array = randomBytes(16)): string {
  if (cost < 4 || cost > 16) throw new Error('bcrypt: cost must be 4..16');
  if (salt.length !== 16) throw new Error('bcrypt: salt must be 16 bytes');
  const key = Buffer.concat([Buffer.from(password, 'utf8'), Buffer.from([0])]).subarray(0, 72);
  const bf = new Blowfish();
  bf.expand(key, salt);
  for (let i = 0; i < 1 << cost; i++) {
    bf.expand(key);
    bf.expand(salt);
  }
  const magic = new WordStream(Buffer.from('OrpheanBeholderScryDoubt', 'latin1'));
  const data = new Uint32Array(6).map(() => magic.next());
  for (let i = 0; i < 64; i++) for (let j = 0; j < 6; j += 2) bf.encipher(data, j);
  const out = Buffer.alloc(24);
  data.forEach((w, i) => out.writeUInt32BE(w, i * 4));
  return `$2b$${String(cost).padStart(2, '0')}$${encode64(salt)}${encode64(out.subarray(0, 23))}`;
}

/** Recomputes a "$2a$/$2b$/$2y$" hash for password with the salt and cost taken from hash. */
export function bcryptRehash(password: string, hash: string): string {
  const m = /^\$2[aby]\$(\d\d)\$([./A-Za-z0-9]{22})/.exec(hash);
  if (!m) throw new Error(`bcrypt: not a bcrypt hash: ${hash}`);
  const salt = decode64(m[2]).subarray(0, 16);
  return hash.slice(0, 4) + bcryptHash(password, Number(m[1]), salt).slice(4);
}

/** One htpasswd line ("user:$2b$..."), as `htpasswd -nbB` would print it. */
export function htpasswdLine(username: string, password: string): string {
  return `${username}:${bcryptHash(password)}`;
}
