import { Entity } from '@backstage/catalog-model';
import { isLoggingEnvironmentEntity } from './entity';

const entity = (kind: string, type: string): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind,
  metadata: { name: 'acme-prod' },
  spec: { type, owner: 'platform-team' },
});

describe('isLoggingEnvironmentEntity', () => {
  it('is true for a Resource of type logging-environment only', () => {
    expect(
      isLoggingEnvironmentEntity(entity('Resource', 'logging-environment')),
    ).toBe(true);
    expect(
      isLoggingEnvironmentEntity(entity('resource', 'logging-environment')),
    ).toBe(true);
    expect(isLoggingEnvironmentEntity(entity('Resource', 's3-bucket'))).toBe(
      false,
    );
    expect(
      isLoggingEnvironmentEntity(entity('Component', 'logging-environment')),
    ).toBe(false);
  });
});
