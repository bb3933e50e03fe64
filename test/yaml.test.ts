/** YAML read as go-yaml v2 (opm) reads it, including what strict JS parsers reject. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { load } from 'js-yaml';
import { parseYamlStream, reindentQuotedContinuations, YamlSyntaxError } from '../src/catalog/manifests/yaml.js';
import { goJson } from '../src/util/go-json.js';
import { MALFORMED_DEPENDENCIES } from './helpers/synthetic-corpus.js';

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

  it('the quirks of real files that strict JS parsers reject, reproduced: duplicate keys nested and at spec level, under-indented quoted scalars', () => {
    // As in real CSVs: a key repeated in an owned-CRD entry and at spec level, and a double-quoted
    // description whose continuation lines sit at the key's own indentation.
    const csv = [
      'apiVersion: operators.coreos.com/v1alpha1',
      'kind: ClusterServiceVersion',
      'metadata:',
      '  name: quirks.v1.0.0',
      'spec:',
      '  customresourcedefinitions:',
      '    owned:',
      '    - name: apis.quirks.example.com',
      '      kind: API',
      '      version: v1alpha1',
      '      specDescriptors:',
      '      - path: deployments',
      '        x-descriptors:',
      '        - urn:alm:descriptor:com.tectonic.ui:podCount',
      '      version: v1beta1',
      '  description: "Quirks federates data from many sources',
      '  and presents it as one',
      '  view."',
      '  version: 1.0.0',
      '  minKubeVersion: 1.20.0',
      '  replaces: quirks.v0.9.0',
      '  minKubeVersion: 1.22.0',
      '',
    ].join('\n');
    // As in real CRDs: a repeated spec key, and a single-quoted description deep in the schema whose
    // continuation lines sit at the key's indentation.
    const crd = [
      'apiVersion: apiextensions.k8s.io/v1',
      'kind: CustomResourceDefinition',
      'metadata:',
      '  name: quirks.quirks.example.com',
      'spec:',
      '  group: quirks.example.com',
      '  subresources:',
      '    scale: {}',
      '  versions:',
      '  - name: v1',
      '    served: true',
      '    storage: true',
      '    schema:',
      '      openAPIV3Schema:',
      '        properties:',
      '          apiVersion:',
      "            description: 'APIVersion defines the versioned schema",
      '            of an object. Servers should convert',
      "            recognized schemas.'",
      '            type: string',
      '  subresources:',
      '    status: {}',
      '',
    ].join('\n');
    for (const text of [csv, crd]) assert.throws(() => load(text), /duplicated mapping key|deficient indentation/, 'a strict parser refuses it');

    const [c] = parseYamlStream(csv) as [{ kind: string; spec: { customresourcedefinitions: { owned: { version: string }[] }; description: string; minKubeVersion: string; version: string } }];
    assert.equal(c.kind, 'ClusterServiceVersion');
    assert.equal(c.spec.customresourcedefinitions.owned[0]!.version, 'v1beta1');
    assert.equal(c.spec.description, 'Quirks federates data from many sources and presents it as one view.');
    assert.equal(c.spec.minKubeVersion, '1.22.0');
    assert.equal(c.spec.version, '1.0.0');
    const docs = parseYamlStream(crd) as [{ kind: string; spec: { subresources: unknown; versions: { schema: { openAPIV3Schema: { properties: { apiVersion: { description: string; type: string } } } } }[] } }];
    assert.equal(docs.length, 1);
    assert.equal(docs[0].kind, 'CustomResourceDefinition');
    assert.deepEqual(docs[0].spec.subresources, { status: {} });
    assert.deepEqual(docs[0].spec.versions[0]!.schema.openAPIV3Schema.properties.apiVersion, {
      description: 'APIVersion defines the versioned schema of an object. Servers should convert recognized schemas.',
      type: 'string',
    });
  });

  it('a real syntax error gives its line and column', () => {
    assert.throws(
      () => parseYamlStream(MALFORMED_DEPENDENCIES),
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
