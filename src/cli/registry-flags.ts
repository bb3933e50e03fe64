/**
 * Registry flags spelled as skopeo spells them (`--tls-verify=false`, `--authfile`, `--creds`,
 * `--src-creds`/`--dest-creds`), plus `--ca-file`, `--plain-http` and `--jobs`; and the spellings
 * opm users type: `--skip-tls-verify` (`--skip-tls`) = TLS verification off, `--use-http` = `--plain-http`.
 */
import { Flags } from '@oclif/core';
import type { RegistryOptions } from '../oci/registry/client.js';

const GROUP = 'REGISTRY';

function tlsVerify(description: string) {
  return Flags.boolean({ description: `${description} (default true; --tls-verify=false as in skopeo).`, allowNo: true, helpGroup: GROUP });
}

export const authfileFlag = Flags.string({ description: 'Auth file (containers auth.json or docker config.json). Default: $REGISTRY_AUTH_FILE, $XDG_RUNTIME_DIR/containers/auth.json, ~/.docker/config.json.', helpGroup: GROUP });
export const caFileFlag = Flags.string({ description: 'PEM file of CA certificates to trust in addition to the system roots.', helpGroup: GROUP });
export const plainHttpFlag = Flags.boolean({ description: 'Speak plain HTTP to the registry (loopback registries are detected without it). Also spelled --use-http, as in opm.', aliases: ['use-http'], helpGroup: GROUP });
export const skipTlsVerifyFlag = Flags.boolean({ description: 'Do not verify registry TLS certificates: opm\'s spelling of --tls-verify=false (also --skip-tls). Wins over --tls-verify.', aliases: ['skip-tls'], helpGroup: GROUP });

export const jobsFlag = Flags.integer({ char: 'j', description: 'Blobs to transfer at once.', default: 6, min: 1, max: 64 });

/** For commands that talk to one registry (inspect). */
export const singleRegistryFlags = {
  authfile: authfileFlag,
  creds: Flags.string({ description: 'Credentials USER[:PASSWORD] for the registry.', helpGroup: GROUP }),
  'tls-verify': tlsVerify('Verify the registry TLS certificate'),
  'skip-tls-verify': skipTlsVerifyFlag,
  'ca-file': caFileFlag,
  'plain-http': plainHttpFlag,
};

/** For commands that read from one registry and write to another (copy, mirror). */
export const copyRegistryFlags = {
  authfile: authfileFlag,
  'src-creds': Flags.string({ description: 'Credentials USER[:PASSWORD] for the source registry.', helpGroup: GROUP }),
  'dest-creds': Flags.string({ description: 'Credentials USER[:PASSWORD] for the destination registry.', helpGroup: GROUP }),
  'tls-verify': tlsVerify('Verify TLS certificates of both registries'),
  'src-tls-verify': tlsVerify('Verify the source registry TLS certificate'),
  'dest-tls-verify': tlsVerify('Verify the destination registry TLS certificate'),
  'skip-tls-verify': skipTlsVerifyFlag,
  'ca-file': caFileFlag,
  'plain-http': plainHttpFlag,
};

interface SingleValues {
  authfile?: string | undefined;
  creds?: string | undefined;
  'tls-verify'?: boolean | undefined;
  'skip-tls-verify'?: boolean | undefined;
  'ca-file'?: string | undefined;
  'plain-http'?: boolean | undefined;
}

export function registryOptions(flags: SingleValues): RegistryOptions {
  return build(flags.creds, flags['skip-tls-verify'] ? false : flags['tls-verify'], flags);
}

interface CopyValues {
  authfile?: string | undefined;
  'src-creds'?: string | undefined;
  'dest-creds'?: string | undefined;
  'tls-verify'?: boolean | undefined;
  'src-tls-verify'?: boolean | undefined;
  'dest-tls-verify'?: boolean | undefined;
  'skip-tls-verify'?: boolean | undefined;
  'ca-file'?: string | undefined;
  'plain-http'?: boolean | undefined;
}

export function copyRegistryOptions(flags: CopyValues): { source: RegistryOptions; destination: RegistryOptions } {
  return {
    source: build(flags['src-creds'], flags['skip-tls-verify'] ? false : (flags['src-tls-verify'] ?? flags['tls-verify']), flags),
    destination: build(flags['dest-creds'], flags['skip-tls-verify'] ? false : (flags['dest-tls-verify'] ?? flags['tls-verify']), flags),
  };
}

function build(creds: string | undefined, verify: boolean | undefined, flags: { authfile?: string | undefined; 'ca-file'?: string | undefined; 'plain-http'?: boolean | undefined }): RegistryOptions {
  return {
    tlsVerify: verify ?? true,
    ...(flags['ca-file'] ? { caFile: flags['ca-file'] } : {}),
    ...(flags['plain-http'] ? { plainHttp: true } : {}),
    credentials: { ...(creds !== undefined ? { creds } : {}), ...(flags.authfile ? { authfile: flags.authfile } : {}) },
  };
}

/**
 * skopeo's `--tls-verify=false` spelling for oclif's boolean flags (`--no-tls-verify`), and opm's
 * `--skip-tls-verify=true|false` / `--use-http=true|false` (false: as if not given).
 */
export function rewriteBooleanAssignments(argv: string[]): string[] {
  return argv.flatMap((arg) => {
    const opm = /^--(skip-tls-verify|skip-tls|use-http)=(true|false)$/.exec(arg);
    if (opm) return opm[2] === 'true' ? [`--${opm[1]}`] : [];
    const m = /^--((?:src-|dest-)?tls-verify|plain-http)=(true|false)$/.exec(arg);
    if (!m) return [arg];
    return [m[2] === 'true' ? `--${m[1]}` : `--no-${m[1]}`];
  });
}
