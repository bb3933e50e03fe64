/** The shared corpus files strict JS parsers reject, read as go-yaml v2 (opm) reads them (the main suite reproduces their quirks in test/yaml.test.ts). */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parseYamlStream, YamlSyntaxError } from '../../src/catalog/manifests/yaml.js';
import { corpusDir } from './shared-paths.js';

describe('go-yaml compatible reading of the shared corpus', () => {
  it('the corpus files strict JS parsers reject are read', () => {
    const files = [
      'package-manifests/3scale-community-operator/0.5.1/3scale-community-operator.v0.5.1.clusterserviceversion.yaml',
      'package-manifests/infinispan/2.0.5/infinispan.org_infinispans_crd.yaml',
      'package-manifests/teiid/0.4.0/teiid.v0.4.0.clusterserviceversion.yaml',
      'bundles/ibm-block-csi-operator-community/1.6.0/manifests/ibmblockcsis.csi.ibm.com.crd.yaml',
      'bundles/kaoto-operator/0.0.10/manifests/kaoto-operator.clusterserviceversion.yaml',
    ];
    for (const f of files) {
      const docs = parseYamlStream(readFileSync(path.join(corpusDir, f), 'utf8'));
      assert.equal(docs.length, 1, f);
      assert.match(String((docs[0] as { kind: string }).kind), /ClusterServiceVersion|CustomResourceDefinition/, f);
    }
  });

  it('a real syntax error gives its line and column', () => {
    assert.throws(
      () => parseYamlStream(readFileSync(path.join(corpusDir, 'bundles/eventing-kogito/1.1.0/metadata/dependencies.yaml'), 'utf8')),
      (e: unknown) => e instanceof YamlSyntaxError && e.line === 22 && e.column === 12,
    );
  });
});
