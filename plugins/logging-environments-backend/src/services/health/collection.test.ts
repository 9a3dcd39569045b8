import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import yaml from 'yaml';
import { isInfrastructureNamespace, namespaceCollected } from './collection';

// The forwarder the base manifests deploy.
const base = yaml.parse(
  readFileSync(
    // eslint-disable-next-line no-restricted-syntax
    resolve(
      __dirname,
      '../../../../../manifests/base/forwarder/clusterlogforwarder.yaml',
    ),
    'utf8',
  ),
);

const withInputs = (inputs: any[], inputRefs: string[]) => ({
  spec: {
    inputs,
    outputs: [{ name: 'loki', type: 'lokiStack' }],
    pipelines: [{ name: 'p', inputRefs, outputRefs: ['loki'] }],
  },
});

describe('namespaceCollected', () => {
  it('knows the infrastructure namespaces', () => {
    for (const ns of [
      'default',
      'openshift',
      'openshift-logging',
      'kube-system',
    ]) {
      expect(isInfrastructureNamespace(ns)).toBe(true);
    }
    for (const ns of ['shop', 'openshiftish', 'kubeflow', 'default-2']) {
      expect(isInfrastructureNamespace(ns)).toBe(false);
    }
  });

  it('collects application and infrastructure namespaces with the base forwarder', () => {
    expect(namespaceCollected(base, 'shop')).toEqual({
      collected: true,
      via: 'pipeline default-logstore, input application',
    });
    expect(namespaceCollected(base, 'openshift-ingress')).toEqual({
      collected: true,
      via: 'pipeline default-logstore, input infrastructure',
    });
  });

  it('does not collect infrastructure namespaces through application alone', () => {
    const appOnly = withInputs([], ['application']);
    expect(namespaceCollected(appOnly, 'shop').collected).toBe(true);
    expect(namespaceCollected(appOnly, 'kube-system').collected).toBe(false);
    expect(
      namespaceCollected(withInputs([], ['audit']), 'shop').collected,
    ).toBe(false);
  });

  it('ignores pipelines without outputs', () => {
    expect(
      namespaceCollected(
        {
          spec: {
            pipelines: [
              { name: 'p', inputRefs: ['application'], outputRefs: [] },
            ],
          },
        },
        'shop',
      ).collected,
    ).toBe(false);
  });

  it('honours includes and excludes of a custom application input', () => {
    const fwd = withInputs(
      [
        {
          name: 'shops',
          type: 'application',
          application: {
            includes: [
              { namespace: 'shop-*' },
              { namespace: 'openshift-shop' },
              {},
            ],
            excludes: [
              { namespace: 'shop-secret' },
              { namespace: 'shop-noisy', container: 'sidecar' },
            ],
          },
        },
      ],
      ['shops'],
    );
    expect(namespaceCollected(fwd, 'shop-eu')).toEqual({
      collected: true,
      via: 'pipeline p, input shops',
    });
    expect(namespaceCollected(fwd, 'shop-secret').collected).toBe(false);
    // A container-level exclude leaves the namespace collected.
    expect(namespaceCollected(fwd, 'shop-noisy').collected).toBe(true);
    // `{}` (namespace "*") does not reach infrastructure namespaces...
    expect(namespaceCollected(fwd, 'openshift-dns').collected).toBe(false);
    // ...but a pattern naming one does.
    expect(namespaceCollected(fwd, 'openshift-shop').collected).toBe(true);
    expect(namespaceCollected(fwd, 'anything').collected).toBe(true);

    const narrow = withInputs(
      [
        {
          name: 'only',
          type: 'application',
          application: { includes: [{ namespace: 'team-?' }] },
        },
      ],
      ['only'],
    );
    expect(namespaceCollected(narrow, 'team-a').collected).toBe(true);
    expect(namespaceCollected(narrow, 'team-ab').collected).toBe(false);
    expect(namespaceCollected(narrow, 'shop').collected).toBe(false);

    const excludesOnly = withInputs(
      [
        {
          name: 'most',
          type: 'application',
          application: { excludes: [{ namespace: 'tmp-*', container: '*' }] },
        },
      ],
      ['most'],
    );
    expect(namespaceCollected(excludesOnly, 'shop').collected).toBe(true);
    expect(namespaceCollected(excludesOnly, 'tmp-1').collected).toBe(false);
  });

  it('collects infrastructure namespaces through a custom infrastructure input with container sources', () => {
    const nodeOnly = withInputs(
      [
        {
          name: 'infra',
          type: 'infrastructure',
          infrastructure: { sources: ['node'] },
        },
      ],
      ['infra'],
    );
    expect(namespaceCollected(nodeOnly, 'openshift-dns').collected).toBe(false);
    const containers = withInputs(
      [
        {
          name: 'infra',
          type: 'infrastructure',
          infrastructure: { sources: ['container'] },
        },
      ],
      ['infra'],
    );
    expect(namespaceCollected(containers, 'openshift-dns').collected).toBe(
      true,
    );
    expect(namespaceCollected(containers, 'shop').collected).toBe(false);
  });
});
