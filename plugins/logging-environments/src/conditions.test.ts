import { Entity } from '@backstage/catalog-model';
import {
  isLoggingEnvironmentAvailable,
  isLoggingHealthAvailable,
} from './conditions';

const entity = (kind: string, spec: object, annotations = {}): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind,
  metadata: { name: 'x', annotations },
  spec,
});

describe('conditions', () => {
  it('shows the Logging tab on logging-environment resources only', () => {
    expect(
      isLoggingEnvironmentAvailable(
        entity('Resource', { type: 'logging-environment' }),
      ),
    ).toBe(true);
    expect(
      isLoggingEnvironmentAvailable(entity('Resource', { type: 'database' })),
    ).toBe(false);
    expect(
      isLoggingEnvironmentAvailable(
        entity('Component', { type: 'logging-environment' }),
      ),
    ).toBe(false);
  });

  it('shows the health card on services that name their environment', () => {
    expect(isLoggingHealthAvailable(entity('Component', {}))).toBe(false);
    expect(
      isLoggingHealthAvailable(
        entity(
          'Component',
          {},
          {
            'logging-environments.io/environment': 'resource:default/acme-prod',
          },
        ),
      ),
    ).toBe(true);
  });
});
