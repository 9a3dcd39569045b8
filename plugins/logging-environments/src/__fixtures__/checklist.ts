/**
 * The checklist of the sample environment: every item passes unless
 * overridden, and the run's status follows its items.
 */
import {
  ChecklistItem,
  EnvironmentDetails,
} from '@internal/plugin-logging-environments-common';
import { EARLIER, REVISION } from './common';

const CHECKS: Array<
  Pick<ChecklistItem, 'id' | 'title' | 'message'> & {
    evidence: ChecklistItem['evidence'];
  }
> = [
  {
    id: 'bucket',
    title: 'S3 bucket hardened',
    message:
      'Bucket acme-prod-loki exists with encryption and no public access',
    evidence: {
      bucket: 'acme-prod-loki',
      encryption: 'aws:kms',
      publicAccessBlocked: true,
    },
  },
  {
    id: 'iam-policy',
    title: 'IAM policy is the Loki policy',
    message:
      'Policy acme-prod-loki grants exactly the Loki actions on the bucket',
    evidence: { policy: 'acme-prod-loki', statements: 2 },
  },
  {
    id: 'secret',
    title: 'Secrets Manager secret exists',
    message: 'Secret logging/acme-prod/loki-s3 exists (value not read)',
    evidence: { secret: 'logging/acme-prod/loki-s3' },
  },
  {
    id: 'cluster-secret-store',
    title: 'ClusterSecretStore Ready',
    message: 'ClusterSecretStore aws-secrets-manager is Ready',
    evidence: { store: 'aws-secrets-manager' },
  },
  {
    id: 'applications',
    title: 'Argo CD Applications registered',
    message:
      'Both Applications point at environments/acme-prod and are not synced yet',
    evidence: { path: 'environments/acme-prod' },
  },
];
/** A checklist run; `overrides` change items by id. */
export function checklist(
  overrides: Record<string, Partial<ChecklistItem>> = {},
): EnvironmentDetails['checklist'] {
  const items: ChecklistItem[] = CHECKS.map(c => ({
    ...c,
    status: 'pass',
    checkedAt: EARLIER,
    ...overrides[c.id],
  }));
  let status: ChecklistItem['status'] = 'pass';
  if (items.some(i => i.status === 'warn')) status = 'warn';
  if (items.some(i => i.status === 'fail' || i.status === 'unknown')) {
    status = 'fail';
  }
  return {
    id: 'run-1',
    items,
    status,
    startedAt: EARLIER,
    finishedAt: EARLIER,
    revision: REVISION,
  };
}
