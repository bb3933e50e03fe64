/**
 * `--listen HOST:PORT` (IPv6 as `[::1]:5000`) and `--advertise HOST[:PORT]`. Port 0 asks the system
 * for a free port.
 */
import { UsageError } from '../../errors.js';
import { checkRegistryHost } from './served-names.js';

export interface ListenAddress {
  host: string;
  port: number;
}

export function parseListenAddress(text: string): ListenAddress {
  const bad = (why: string): UsageError => new UsageError(`invalid --listen "${text}": ${why}`, ['--listen takes HOST:PORT, e.g. 127.0.0.1:5000, [::1]:5000, 0.0.0.0:5000 (every address), 127.0.0.1:0 (a free port)']);
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(text);
  if (m === null) {
    if (/^:?\d+$/.test(text)) throw bad('give the host too (127.0.0.1 for this machine only, 0.0.0.0 for every address)');
    throw bad('expected HOST:PORT');
  }
  const port = Number(m[3]);
  if (port > 65535) throw bad(`port ${port} is above 65535`);
  return { host: m[1] ?? m[2]!, port };
}

/** True for the addresses that mean "every interface". */
export function isUnspecifiedHost(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '[::]';
}

/** `--advertise HOST[:PORT]` checked, with `port` added when it names none. */
export function advertisedAddress(text: string, port: number): string {
  checkRegistryHost(text, '--advertise');
  return /:\d+$/.test(text) && !text.endsWith(']') ? text : `${text}:${port}`;
}
