/** Image references: the docker grammar and docker's normalization. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normalizeReference, parseReference, ReferenceError } from '../src/oci/reference.js';

const D = 'sha256:c0301e4686c3ed4206e370b42de5a3bd2229b9fb4906cf85f3f30650424abec2';

describe('image references', () => {
  const cases: [string, string][] = [
    ['busybox', 'docker.io/library/busybox:latest'],
    ['strimzi/operator:0.12.2', 'docker.io/strimzi/operator:0.12.2'],
    ['docker.io/busybox', 'docker.io/library/busybox:latest'],
    ['index.docker.io/jboss/infinispan-operator:0.3.0', 'docker.io/jboss/infinispan-operator:0.3.0'],
    [`quay.io/coreos/etcd@${D}`, `quay.io/coreos/etcd@${D}`],
    [`quay.io/x/y:v1@${D}`, `quay.io/x/y:v1@${D}`],
    ['localhost/app', 'localhost/app:latest'],
    ['localhost:5000/ns/name:tag', 'localhost:5000/ns/name:tag'],
    ['registry.redhat.io/a/b/c:1.0', 'registry.redhat.io/a/b/c:1.0'],
    ['[::1]:5000/x:1', '[::1]:5000/x:1'],
  ];
  for (const [input, want] of cases) it(`${input} → ${want}`, () => assert.equal(normalizeReference(input), want));

  it('splits host, path, tag and digest', () => {
    assert.deepEqual(parseReference(`host:5000/ns/name:tag@${D}`), { domain: 'host:5000', path: 'ns/name', tag: 'tag', digest: D });
  });

  const bad: [string, RegExp][] = [
    ['', /empty/],
    ['Quay.io/BAD/Name:1', /lowercase/],
    ['quay.io/x@sha256:1234', /invalid digest/],
    ['quay.io/x:bad tag', /invalid tag|white space/],
    ['quay.io/x:', /invalid tag/],
    [' quay.io/x', /white space/],
    ['quay.io//x', /invalid repository name/],
  ];
  for (const [input, message] of bad) {
    it(`refuses ${JSON.stringify(input)}`, () => assert.throws(() => parseReference(input), (e: unknown) => e instanceof ReferenceError && message.test(e.message)));
  }
});
