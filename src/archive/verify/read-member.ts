/** A small archive member read whole, refused when larger than `max` bytes (metadata, manifests). */
import { ArchiveError } from '../../oci/archive/tar-header.js';
import type { VolumeSet } from '../volumes/read-volumes.js';

export async function readMember(set: VolumeSet, name: string, max: number): Promise<Buffer> {
  const member = set.member(name);
  if (member !== undefined && member.size > max) throw new ArchiveError(`archive member ${name} is ${member.size} bytes, more than the ${max} ferry reads for it`);
  const chunks: Buffer[] = [];
  for await (const chunk of set.openMember(name)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
