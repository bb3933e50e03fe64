/** Platforms as `os/arch[/variant]` (`linux/amd64`, `linux/arm64/v8`) and matching them in an index. */
import { UsageError } from '../errors.js';
import type { Descriptor, Platform } from './descriptor.js';

export function parsePlatform(input: string): Platform {
  const parts = input.split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => p === '' || !/^[a-z0-9_.-]+$/i.test(p))) {
    throw new UsageError(`invalid platform "${input}": expected os/architecture[/variant], e.g. linux/amd64 or linux/arm64/v8`);
  }
  const [os, architecture, variant] = parts as [string, string, string | undefined];
  return { os: os.toLowerCase(), architecture: normalizeArch(architecture.toLowerCase()), ...(variant ? { variant: variant.toLowerCase() } : {}) };
}

export function formatPlatform(p: Platform): string {
  return `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`;
}

/** The descriptor of `index` for `wanted`; a variant given must match, an omitted one matches any. */
export function selectPlatform(manifests: readonly Descriptor[], wanted: Platform): Descriptor | undefined {
  const candidates = manifests.filter((d) => d.platform && d.platform.os === wanted.os && normalizeArch(d.platform.architecture) === wanted.architecture);
  if (wanted.variant !== undefined) return candidates.find((d) => normalizeVariant(d.platform!) === wanted.variant);
  return candidates[0];
}

function normalizeArch(arch: string): string {
  if (arch === 'x86_64' || arch === 'x86-64') return 'amd64';
  if (arch === 'aarch64') return 'arm64';
  return arch;
}

function normalizeVariant(p: Platform): string | undefined {
  if (p.variant !== undefined) return p.variant;
  return normalizeArch(p.architecture) === 'arm64' ? 'v8' : undefined;
}
