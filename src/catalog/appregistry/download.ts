/**
 * Downloading an App Registry namespace into a working folder, ready for `loadManifests`: list the
 * namespace, take each repository's `default` release (or the pinned one), read its metadata, stream
 * its blob to a temp file while checking size and digest, extract it safely beside the target, tell
 * nested from flattened by counting regular files, and rename the result to `workDir/<repo>`.
 *
 * All or nothing: on any failure, every folder this call created is removed again, so the caller's
 * working folder holds no half-downloaded or unverified content.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { ExitCode, FerryError, NotFoundError, UsageError } from '../../errors.js';
import { ArchiveError } from '../../oci/archive/tar-header.js';
import { AppRegistryClient } from './client.js';
import { extractTar } from './extract.js';
import { placeFlattened } from './flattened.js';
import { blobUrl, listingUrl, parseEndpoint, parseListing, parseRelease, releaseUrl, type ListedPackage } from './protocol.js';
import { parseSelection } from './selection.js';
import {
  DEFAULT_APP_REGISTRY_ENDPOINT,
  type AppRegistryDownload,
  type AppRegistryLayout,
  type AppRegistryProgress,
  type DownloadAppRegistryOptions,
  type DownloadedAppRegistryPackage,
} from './types.js';

/** Downloads the namespace's operators into `workDir/<repo>/` folders; see the module comment. */
export async function downloadAppRegistry(options: DownloadAppRegistryOptions, workDir: string): Promise<AppRegistryDownload> {
  const base = parseEndpoint(options.endpoint ?? DEFAULT_APP_REGISTRY_ENDPOINT);
  const namespace = options.namespace;
  if (typeof namespace !== 'string' || !/^[^/\s]+$/.test(namespace)) {
    throw new UsageError(`invalid App Registry namespace ${JSON.stringify(namespace)}: expected one name such as "community-operators"`);
  }
  const selection = options.packages && options.packages.length > 0 ? parseSelection(options.packages) : undefined;
  const progress = (event: AppRegistryProgress): void => options.onProgress?.(event);

  await mkdir(workDir, { recursive: true });
  const client = new AppRegistryClient({
    endpoint: base,
    ...(options.authToken ? { authToken: options.authToken } : {}),
    ...(options.tlsVerify === undefined ? {} : { tlsVerify: options.tlsVerify }),
    ...(options.caFile ? { caFile: options.caFile } : {}),
    ...(options.maxAttempts === undefined ? {} : { maxAttempts: options.maxAttempts }),
    ...(options.signal ? { signal: options.signal } : {}),
    onRetry: (e) => progress({ type: 'retry', ...e }),
  });
  const created: string[] = [];
  try {
    const what = `list App Registry namespace "${namespace}"`;
    const listed = parseListing(await client.getJson(listingUrl(base, namespace), what), what);
    if (listed.length === 0) {
      throw new FerryError(
        'NOT_FOUND',
        `no manifests downloaded: App Registry namespace "${namespace}" at ${client.endpointLabel} has no packages (it is empty, does not exist, or the token gives no access to it)`,
        ExitCode.notFound,
        { suggestions: ['check the namespace name (--appregistry-namespace) and the token (--auth-token)'] },
      );
    }
    const chosen = choose(listed, selection, namespace);
    progress({ type: 'listed', namespace, available: listed.length, selected: chosen.length });
    for (const { pkg } of chosen) {
      const dir = path.join(workDir, pkg.repo);
      if (existsSync(dir)) throw new UsageError(`the working folder already holds ${dir}; give ferry an empty working folder for an App Registry download`);
    }

    const out: DownloadedAppRegistryPackage[] = [];
    for (const { pkg, release } of chosen) {
      if (options.signal?.aborted) throw options.signal.reason;
      const downloaded = await downloadPackage(client, base, pkg, release, workDir, progress, options.signal);
      created.push(downloaded.dir);
      out.push(downloaded);
    }
    return { roots: out.map((p) => p.dir), packages: out };
  } catch (err) {
    await Promise.all(created.map((dir) => rm(dir, { recursive: true, force: true })));
    throw err;
  } finally {
    client.close();
  }
}

interface Chosen {
  pkg: ListedPackage;
  release: string;
}

/** The repositories to download with their releases: the selection, or all of them. */
function choose(listed: ListedPackage[], selection: ReadonlyMap<string, string | undefined> | undefined, namespace: string): Chosen[] {
  const byRepo = new Map(listed.map((p) => [p.repo, p]));
  if (selection !== undefined) {
    const missing = [...selection.keys()].filter((name) => !byRepo.has(name));
    if (missing.length > 0) {
      const have = listed.map((p) => p.repo);
      throw new NotFoundError(
        `App Registry namespace "${namespace}" has no package ${missing.join(', ')} (it has: ${have.slice(0, 20).join(', ')}${have.length > 20 ? `, and ${have.length - 20} more` : ''})`,
      );
    }
  }
  const out: Chosen[] = [];
  for (const pkg of listed) {
    if (selection !== undefined && !selection.has(pkg.repo)) continue;
    const release = selection?.get(pkg.repo) ?? pkg.defaultRelease;
    if (release === undefined) {
      throw new FerryError(
        'REGISTRY',
        `App Registry package ${pkg.namespace}/${pkg.repo} has no default release in the namespace listing; name one as ${pkg.repo}:RELEASE${pkg.releases.length > 0 ? ` (releases: ${pkg.releases.join(', ')})` : ''}`,
        ExitCode.failure,
      );
    }
    out.push({ pkg, release });
  }
  return out;
}

async function downloadPackage(
  client: AppRegistryClient,
  base: URL,
  pkg: ListedPackage,
  release: string,
  workDir: string,
  progress: (event: AppRegistryProgress) => void,
  signal: AbortSignal | undefined,
): Promise<DownloadedAppRegistryPackage> {
  const { namespace, repo } = pkg;
  const what = `App Registry package ${namespace}/${repo} release ${release}`;
  let content;
  try {
    const readWhat = `read ${what}`;
    content = parseRelease(await client.getJson(releaseUrl(base, namespace, repo, release), readWhat), readWhat);
  } catch (err) {
    if (err instanceof NotFoundError) {
      const known = pkg.releases.length > 0 ? ` (releases: ${pkg.releases.join(', ')})` : '';
      throw new NotFoundError(`App Registry package ${namespace}/${repo} has no release "${release}"${known}: ${err.message}`);
    }
    throw err;
  }
  const digest = `sha256:${content.digestHex}`;
  progress({ type: 'package-start', name: repo, release, size: content.size });

  // Everything happens in a hidden folder beside the target, renamed into place when complete.
  const staging = path.join(workDir, `.${repo}.${process.pid}.${randomBytes(4).toString('hex')}.part`);
  const target = path.join(workDir, repo);
  await mkdir(staging);
  try {
    const blob = path.join(staging, 'blob.tar.gz');
    await client.downloadTo(blobUrl(base, namespace, repo, content.digestHex), { digest, size: content.size, source: what }, blob, `download ${what}`, (bytes) =>
      progress({ type: 'package-bytes', name: repo, bytes, size: content.size }),
    );
    const tree = path.join(staging, 'tree');
    await mkdir(tree);
    const { files } = await extractTar(blob, tree, what, signal);
    await rm(blob, { force: true });
    if (files.length === 0) throw new ArchiveError(`${what}: the blob holds no files`);
    let layout: AppRegistryLayout;
    if (files.length === 1) {
      layout = 'flattened';
      const only = files[0]!;
      const flat = path.join(staging, 'flattened');
      await mkdir(flat);
      await placeFlattened(path.join(tree, ...only.split('/')), only, flat, what);
      await rename(flat, target);
    } else {
      layout = 'nested';
      await rename(tree, target);
    }
    progress({ type: 'package-done', name: repo, release, digest, layout, files: files.length });
    return { name: repo, release, digest, layout, dir: target };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}
