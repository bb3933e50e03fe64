/** The registry commands end to end through the real CLI on shared-corpus packages (the main suite runs the same checks on synthetic packages, test/cli.test.ts). */
import path from 'node:path';
import { describeRegistryCommands } from '../helpers/registry-command-checks.js';
import { corpusDir } from './shared-paths.js';

describeRegistryCommands('registry commands (shared corpus)', {
  dir: (p) => path.join(corpusDir, 'package-manifests', p),
  first: ['etcd', 'prometheus'],
  bundles: 6,
  added: 'strimzi-kafka-operator',
  addedHeads: { alpha: 'strimzi-cluster-operator.v0.12.2', beta: 'strimzi-cluster-operator.v0.12.1', stable: 'strimzi-cluster-operator.v0.11.1' },
  counts: [10, 12],
  prefix: 'etcdoperator',
  heads: { alpha: 'etcdoperator.v0.9.2', beta: 'etcdoperator.v0.9.0' },
  imageCount: 12,
  someImage: 'docker.io/strimzi/operator:0.12.2',
  headImages: [
    'quay.io/coreos/etcd-operator@sha256:c0301e4686c3ed4206e370b42de5a3bd2229b9fb4906cf85f3f30650424abec2',
    'quay.io/coreos/etcd@sha256:3816b6daf9b66d6ced6f0f966314e2d4f894982c6b1493061502f8c2bf86ac84',
    'quay.io/coreos/etcd@sha256:49d3d4a81e0d030d3f689e7167f23e120abf955f7d08dbedf3ea246485acee9f',
  ],
});
