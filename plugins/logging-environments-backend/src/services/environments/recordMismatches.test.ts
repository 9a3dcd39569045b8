/**
 * recordMismatches: an entity agrees with its record when every annotation
 * it carries, and its owner, says what the record says.
 */
import { Entity } from '@backstage/catalog-model';
import { EnvironmentRecord } from '@internal/plugin-logging-environments-common';
import { testRecord } from '../../database/__testUtils__/createTestStore';
import {
  APPROVER_GROUPS_ANNOTATION,
  recordMismatches,
} from './recordMismatches';

const record: EnvironmentRecord = {
  ...testRecord({
    name: 'acme-stg',
    tier: 'staging',
    extraApprovers: { 'configuration-review': ['group:default/sre'] },
  }),
  createdAt: '2026-01-15T09:30:00.000Z',
  updatedAt: '2026-01-15T09:30:00.000Z',
};

function entity(
  annotations: Record<string, string>,
  owner = 'group:default/platform-team',
): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Resource',
    metadata: { name: 'acme-stg', namespace: 'default', annotations },
    spec: { type: 'logging-environment', owner },
  };
}

describe('recordMismatches', () => {
  it('accepts an entity that carries no annotation, or only agreeing ones, however the refs are spelled', () => {
    expect(recordMismatches(entity({}), record)).toEqual([]);
    expect(
      recordMismatches(
        entity(
          {
            'logging-environments.io/tier': 'staging',
            'logging-environments.io/cluster': 'sandbox',
            'logging-environments.io/argocd-apps':
              'acme-stg-logging-infrastructure, acme-stg-logging-forwarder',
            'logging-environments.io/requester': 'User:default/Requester',
            [APPROVER_GROUPS_ANNOTATION]: 'sre',
          },
          'platform-team',
        ),
        record,
      ),
    ).toEqual([]);
  });

  it('names each fact the entity says differently, and its owner', () => {
    expect(
      recordMismatches(
        entity(
          {
            'logging-environments.io/tier': 'production',
            'logging-environments.io/bucket': 'other-loki',
            'logging-environments.io/requester': 'user:default/mallory',
            [APPROVER_GROUPS_ANNOTATION]: 'group:default/sre,checkout-team',
          },
          'group:default/checkout-team',
        ),
        record,
      ),
    ).toEqual([
      'annotation logging-environments.io/tier says "production", the record says "staging"',
      'annotation logging-environments.io/bucket says "other-loki", the record says "acme-stg-loki"',
      'annotation logging-environments.io/requester says "user:default/mallory", the record says "user:default/requester"',
      'annotation logging-environments.io/approver-groups says "group:default/sre,checkout-team", the record says "group:default/sre"',
      'spec.owner says "group:default/checkout-team", the record says "group:default/platform-team"',
    ]);
  });
});
