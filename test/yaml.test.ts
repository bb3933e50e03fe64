/** YAML read as go-yaml v2 (opm) reads it, including what strict JS parsers reject. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parseYamlStream, reindentQuotedContinuations, YamlSyntaxError } from '../src/catalog/manifests/yaml.js';
import { goJson } from '../src/util/go-json.js';
import { corpusDir } from './conformance/shared-paths.js';

describe('go-yaml compatible reading', () => {
  it('YAML 1.1 scalars as go-yaml v2 resolves them; timestamps and sexagesimals stay strings', () => {
    const [doc] = parseYamlStream('a: yes\nb: off\nc: 0777\nd: 2019-03-28\ne: 1:20\nf: =\ng: 1.10\nh: "yes"\n');
    assert.deepEqual(doc, { a: true, b: false, c: 511, d: '2019-03-28', e: '1:20', f: '=', g: 1.1, h: 'yes' });
  });

  it('duplicate keys: the last value wins', () => {
    assert.deepEqual(parseYamlStream('a: 1\nb: 2\na: 3\n'), [{ a: 3, b: 2 }]);
  });

  it('several documents; empty ones are dropped', () => {
    assert.deepEqual(parseYamlStream('---\na: 1\n---\n---\nb: 2\n'), [{ a: 1 }, { b: 2 }]);
  });

  it('under-indented continuation lines of a quoted scalar are read as libyaml reads them', () => {
    const text = 'spec:\n  description: "first line\n  second line\n  third"\n  version: 1.0.0\n';
    assert.deepEqual(parseYamlStream(text), [{ spec: { description: 'first line second line third', version: '1.0.0' } }]);
    assert.equal(reindentQuotedContinuations('a: "x\ny"\n'), 'a: "x\n y"\n');
    assert.equal(reindentQuotedContinuations("a: 'it''s\nfine'\nb: c\n"), "a: 'it''s\n fine'\nb: c\n");
  });

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

describe('Go-compatible JSON', () => {
  it('sorts keys in byte order at every level and escapes as encoding/json does', () => {
    assert.equal(goJson({ b: 1, a: { d: [1, 'x<y>&z'], c: null }, '10': true, '9': false }), '{"10":true,"9":false,"a":{"c":null,"d":[1,"x\\u003cy\\u003e\\u0026z"]},"b":1}');
    assert.equal(goJson('\u2028'), '"\\u2028"');
  });
});
