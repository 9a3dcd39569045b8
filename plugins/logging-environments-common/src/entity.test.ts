import { Entity } from '@backstage/catalog-model';
import { readEnvironmentRef } from './entity';

const env = (
  annotations: Record<string, string>,
  type = 'logging-environment',
): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Resource',
  metadata: { name: 'acme-prod', namespace: 'default', annotations },
  spec: { type, owner: 'group:default/platform-team' },
});

describe('readEnvironmentRef', () => {
  it('reads the annotations, with derived defaults', () => {
    const result = readEnvironmentRef(
      env({
        'logging-environments.io/cluster': 'sandbox',
        'logging-environments.io/tier': 'production',
      }),
    );
    expect(result).toEqual({
      ok: true,
      value: expect.objectContaining({
        entityRef: 'resource:default/acme-prod',
        tier: 'production',
        cluster: 'sandbox',
        namespace: 'openshift-logging',
        argocdNamespace: 'openshift-gitops',
        applications: {
          infrastructure: 'acme-prod-logging-infrastructure',
          forwarder: 'acme-prod-logging-forwarder',
        },
      }),
    });
  });

  it('names every missing or invalid annotation', () => {
    const result = readEnvironmentRef(
      env({
        'logging-environments.io/tier': 'prod',
        'logging-environments.io/argocd-apps': 'only-one',
      }),
    );
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problems).toEqual([
      'annotation logging-environments.io/cluster is missing',
      'annotation logging-environments.io/tier must be development, staging or production, not "prod"',
      'annotation logging-environments.io/argocd-apps must name two Applications, infrastructure first',
    ]);
  });

  it('refuses entities of another type', () => {
    const result = readEnvironmentRef(
      env(
        {
          'logging-environments.io/cluster': 'sandbox',
          'logging-environments.io/tier': 'production',
        },
        'database',
      ),
    );
    expect(result.ok).toBe(false);
  });
});
