/** Real corpus packages for the test App Registry: three nested (etcd, prometheus, strimzi's flat folder), one nested with two releases, three flattened (one with two releases, one with large CRDs). */
import path from 'node:path';
import type { ServedPackageSpec } from '../helpers/app-registry-server.js';
import { corpusDir } from './shared-paths.js';

const dir = (folder: string): string => path.join(corpusDir, 'package-manifests', folder);

export const CORPUS_APP_REGISTRY_PACKAGES: readonly ServedPackageSpec[] = [
  { repo: 'etcd', dir: dir('etcd'), layout: 'nested', releases: [{ release: '0.9.2' }] },
  { repo: 'prometheus', dir: dir('prometheus'), layout: 'nested', releases: [{ release: '0.22.2' }] },
  { repo: 'strimzi-kafka-operator', dir: dir('strimzi-kafka-operator'), layout: 'nested', releases: [{ release: '0.12.2' }] },
  {
    repo: 'sealed-secrets-operator-helm',
    dir: dir('sealed-secrets-operator-helm'),
    layout: 'nested',
    releases: [{ release: '0.0.1', channels: [{ name: 'alpha', currentCSV: 'sealed-secrets-operator-helm.v0.0.1' }] }, { release: '0.0.2' }],
  },
  {
    repo: 'lib-bucket-provisioner',
    dir: dir('lib-bucket-provisioner'),
    layout: 'flattened',
    releases: [{ release: '1.0.0', channels: [{ name: 'alpha', currentCSV: 'lib-bucket-provisioner.v1.0.0' }] }, { release: '2.0.0' }],
  },
  { repo: 'kubeturbo', dir: dir('kubeturbo'), layout: 'flattened', releases: [{ release: '8.1.0' }] },
  { repo: 'dell-csi-operator', dir: dir('dell-csi-operator'), layout: 'flattened', releases: [{ release: '1.4.0' }] },
];
