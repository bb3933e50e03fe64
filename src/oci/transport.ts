/**
 * Image names with a transport, as skopeo spells them: `docker://REF`, `oci:DIR[:REF]`,
 * `oci-archive:FILE[:REF]`, `docker-archive:FILE[:REF]`; and ferry's own `ferry-archive:FILE[:REF]`
 * (an archive `ferry pack` wrote, or its first volume, read in place; REF is an image's source
 * reference). A name without a transport is a registry reference (`quay.io/x/y:1`, `busybox`).
 */
import path from 'node:path';
import { ExitCode, FerryError } from '../errors.js';
import { formatReference, parseReference, type ImageReference } from './reference.js';

export type TransportName = 'docker' | 'oci' | 'oci-archive' | 'docker-archive' | 'ferry-archive';

export type ImageName =
  | { transport: 'docker'; reference: ImageReference; input: string }
  | { transport: 'oci' | 'oci-archive' | 'docker-archive' | 'ferry-archive'; path: string; reference: string; input: string };

const FILE_TRANSPORTS = ['oci', 'oci-archive', 'docker-archive', 'ferry-archive'] as const;
const KNOWN_UNSUPPORTED = ['dir', 'containers-storage', 'docker-daemon', 'ostree', 'sif', 'tarball'];

export class TransportError extends FerryError {
  constructor(message: string) {
    super('UNKNOWN_TRANSPORT', message, ExitCode.usage, { suggestions: ['use docker://REF, oci:DIR[:REF], oci-archive:FILE[:REF], docker-archive:FILE[:REF] or ferry-archive:FILE[:REF]'] });
    this.name = 'TransportError';
  }
}

export function parseImageName(input: string): ImageName {
  if (input.startsWith('docker://')) {
    return { transport: 'docker', reference: parseReference(input.slice('docker://'.length)), input };
  }
  const scheme = /^([a-z][a-z0-9-]*):(\/\/)?/.exec(input);
  if (scheme) {
    const name = scheme[1]!;
    if ((FILE_TRANSPORTS as readonly string[]).includes(name)) {
      const rest = input.slice(name.length + 1);
      const colon = rest.indexOf(':');
      const file = colon < 0 ? rest : rest.slice(0, colon);
      const reference = colon < 0 ? '' : rest.slice(colon + 1);
      if (file === '') throw new TransportError(`"${input}": ${name}: needs a path`);
      return { transport: name as (typeof FILE_TRANSPORTS)[number], path: path.resolve(file), reference, input };
    }
    if (KNOWN_UNSUPPORTED.includes(name) || scheme[2] !== undefined) {
      throw new TransportError(`"${input}": the ${name}: transport is not supported by ferry`);
    }
  }
  // No transport: a registry reference (`host:port/x` has a colon but is not a transport).
  return { transport: 'docker', reference: parseReference(input), input };
}

export function formatImageName(name: ImageName): string {
  if (name.transport === 'docker') return `docker://${formatReference(name.reference)}`;
  return `${name.transport}:${name.path}${name.reference ? `:${name.reference}` : ''}`;
}
