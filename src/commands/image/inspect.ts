import { Args, Flags } from '@oclif/core';
import { FerryCommand, type Outcome } from '../../cli/base-command.js';
import { registryOptions, singleRegistryFlags } from '../../cli/registry-flags.js';
import { inspectImage, readRawManifest, type InspectedImage } from '../../oci/operations/inspect-image.js';
import { parsePlatform } from '../../oci/platform.js';
import { formatBytes } from '../../util/format-bytes.js';

export type ImageInspectResult = InspectedImage | { raw: string; digest: string; mediaType: string };

export default class ImageInspect extends FerryCommand<ImageInspectResult> {
  static override summary = 'Show an image or index: digest, platforms, layers, labels; or its raw manifest.';
  static override description =
    'Reads the manifest from a registry, an OCI layout or an archive. --raw prints the manifest bytes exactly as stored (their sha256 is the digest). For a multi-platform index, --platform shows one platform\'s image.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> quay.io/coreos/etcd:v3.5.0',
    '<%= config.bin %> <%= command.id %> docker://127.0.0.1:5000/app:1 --raw | sha256sum',
    '<%= config.bin %> <%= command.id %> oci:./layout:app --platform linux/arm64 --json',
  ];

  static override args = {
    image: Args.string({ description: 'Image to inspect (docker://REF, oci:DIR[:NAME], oci-archive:FILE[:NAME], docker-archive:FILE[:NAME]).', required: true }),
  };

  static override flags = {
    raw: Flags.boolean({ description: 'Print the manifest bytes as stored.' }),
    platform: Flags.string({ description: 'For an index: inspect the image of this platform (os/arch[/variant]).' }),
    ...singleRegistryFlags,
  };

  protected async execute(): Promise<Outcome<ImageInspectResult>> {
    const { args, flags } = await this.parse(ImageInspect);
    const options = { registry: registryOptions(flags), signal: this.signal, ...(flags.platform ? { platform: parsePlatform(flags.platform) } : {}) };
    if (flags.raw) {
      const raw = await readRawManifest(args.image, options);
      return { result: { raw: raw.bytes.toString('utf8'), digest: raw.digest, mediaType: raw.mediaType } };
    }
    return { result: await inspectImage(args.image, options) };
  }

  protected display(r: ImageInspectResult): void {
    if ('raw' in r) {
      process.stdout.write(r.raw);
      return;
    }
    this.log(`Name:       ${r.name}`);
    this.log(`Digest:     ${r.digest}`);
    this.log(`MediaType:  ${r.mediaType}`);
    if (r.kind === 'index') {
      this.log(`Manifests:`);
      for (const m of r.manifests ?? []) this.log(`  ${m.platform ?? '(no platform)'}  ${m.digest}  ${formatBytes(m.size)}`);
      return;
    }
    if (r.platform) this.log(`Platform:   ${r.platform}`);
    if (r.created) this.log(`Created:    ${r.created}`);
    this.log(`Size:       ${formatBytes(r.totalSize)} in ${r.layers?.length ?? 0} layers`);
    if (r.entrypoint) this.log(`Entrypoint: ${JSON.stringify(r.entrypoint)}`);
    if (r.cmd) this.log(`Cmd:        ${JSON.stringify(r.cmd)}`);
    if (r.labels && Object.keys(r.labels).length > 0) {
      this.log('Labels:');
      for (const [k, v] of Object.entries(r.labels).sort(([a], [b]) => (a < b ? -1 : 1))) this.log(`  ${k}=${v}`);
    }
    this.log('Layers:');
    for (const l of r.layers ?? []) this.log(`  ${l.digest}  ${formatBytes(l.size)}`);
  }
}
