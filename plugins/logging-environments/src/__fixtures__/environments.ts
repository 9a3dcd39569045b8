/**
 * Environments in each state the page must render, shared by the component
 * tests and the dev app. Shapes follow the backend's openapi.yaml. The other
 * fixtures are re-exported, so tests and the dev app import everything from
 * here.
 */
import {
  DEFAULT_TIER_POLICIES,
  EnvironmentDetails,
  HistoryEvent,
  Tier,
  decisionMessage,
  requesterRefusalMessage,
} from '@internal/plugin-logging-environments-common';
import { Entity } from '@backstage/catalog-model';
import { app } from './applications';
import { checklist } from './checklist';
import {
  EARLIER,
  ENVIRONMENT_REF,
  NOW,
  REVISION,
  SHORT_REVISION,
} from './common';

export { app } from './applications';
export {
  ARGOCD_URL,
  ENVIRONMENT_REF,
  REVISION,
  SHORT_REVISION,
} from './common';
export { serviceEntity, serviceHealth } from './service';

/** The catalog entity of the sample production environment. */
export function environmentEntity(tier: Tier = 'production'): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Resource',
    metadata: {
      name: 'acme-prod',
      namespace: 'default',
      title: 'ACME production logging',
      annotations: {
        'logging-environments.io/cluster': 'sandbox',
        'logging-environments.io/tier': tier,
        'logging-environments.io/argocd-apps':
          'acme-prod-logging-infrastructure,acme-prod-logging-forwarder',
        'logging-environments.io/bucket': 'acme-prod-loki',
        'logging-environments.io/requester': 'user:default/requester',
      },
    },
    spec: { type: 'logging-environment', owner: 'group:default/platform-team' },
  };
}

const can = {
  runChecklist: { allowed: true },
  approve: { allowed: true },
  reject: { allowed: true },
  sync: { allowed: true },
};

function base(): EnvironmentDetails {
  return {
    entityRef: ENVIRONMENT_REF,
    name: 'acme-prod',
    title: 'ACME production logging',
    owner: 'group:default/platform-team',
    tier: 'production',
    cluster: 'sandbox',
    phase: 'verify',
    policy: DEFAULT_TIER_POLICIES.production,
    namespace: 'openshift-logging',
    requester: 'user:default/requester',
    record: {
      state: 'registered',
      argocdNamespace: 'openshift-gitops',
      applications: {
        infrastructure: 'acme-prod-logging-infrastructure',
        forwarder: 'acme-prod-logging-forwarder',
      },
      region: 'us-east-2',
      bucket: 'acme-prod-loki',
      secret: 'logging/acme-prod/loki-s3',
      gitopsPath: 'environments/acme-prod',
      extraApprovers: {},
    },
    checklist: checklist(),
    approvals: {
      revision: REVISION,
      required: [
        {
          role: 'security-review',
          title: 'Security review',
          groups: ['group:default/security-reviewers'],
        },
        {
          role: 'approval',
          title: 'Approval',
          groups: ['group:default/platform-approvers'],
        },
      ],
      decisions: [],
      complete: false,
    },
    applications: [
      app('infrastructure', ['pending', 'pending', 'pending']),
      app('forwarder', ['pending']),
    ],
    can: {
      ...can,
      sync: {
        allowed: false,
        reason: 'the required approvals are not complete for revision a1b2c3d',
      },
    },
  };
}

const securityApproval = {
  id: 'approval-1',
  decision: 'approve' as const,
  role: 'security-review',
  actor: 'user:default/security-reviewer',
  comment: 'Bucket policy and encryption reviewed',
  revision: REVISION,
  createdAt: EARLIER,
};
const finalApproval = {
  id: 'approval-2',
  decision: 'approve' as const,
  role: 'approval',
  actor: 'user:default/approver',
  comment: 'Go',
  revision: REVISION,
  createdAt: EARLIER,
};

export function approved(env: EnvironmentDetails): EnvironmentDetails {
  return {
    ...env,
    approvals: {
      ...env.approvals,
      required: [
        { ...env.approvals.required[0], approval: securityApproval },
        { ...env.approvals.required[1], approval: finalApproval },
      ],
      decisions: [finalApproval, securityApproval],
      complete: true,
    },
    can: {
      ...env.can,
      approve: {
        allowed: false,
        reason: `nothing left to approve: every required approval is given for revision ${SHORT_REVISION}`,
      },
      sync: { allowed: true },
    },
  };
}

export function syncRun(
  state: NonNullable<EnvironmentDetails['sync']>['state'],
  message?: string,
): EnvironmentDetails['sync'] {
  return {
    id: 'sync-1',
    state,
    revision: REVISION,
    requestedBy: 'user:default/approver',
    startedAt: EARLIER,
    updatedAt: NOW,
    ...(message ? { message } : {}),
  };
}

/** Waiting for approvals; the caller (the requester) may not approve. */
export function awaitingApprovalEnvironment(): EnvironmentDetails {
  const env = base();
  const withSecurity = {
    ...env,
    approvals: {
      ...env.approvals,
      required: [
        { ...env.approvals.required[0], approval: securityApproval },
        env.approvals.required[1],
      ],
      decisions: [securityApproval],
    },
  };
  return {
    ...withSecurity,
    can: {
      ...withSecurity.can,
      approve: {
        allowed: false,
        reason: requesterRefusalMessage('production'),
      },
    },
  };
}

/** Approved, synced, every wave healthy. */
export function healthyEnvironment(): EnvironmentDetails {
  const env = approved(base());
  return {
    ...env,
    phase: 'live',
    sync: syncRun('succeeded'),
    applications: [
      app('infrastructure', ['healthy', 'healthy', 'healthy']),
      app('forwarder', ['healthy']),
    ],
  };
}

/** Approved and syncing: the LokiStack wave is rolling out. */
export function progressingEnvironment(): EnvironmentDetails {
  const env = approved(base());
  return {
    ...env,
    phase: 'sync',
    sync: syncRun('waiting-infrastructure'),
    can: {
      ...env.can,
      sync: { allowed: false, reason: 'a sync run is in progress' },
    },
    applications: [
      app('infrastructure', ['healthy', 'running', 'pending'], {
        10: 'Some LokiStack components pending on dependencies',
      }),
      app('forwarder', ['pending']),
    ],
  };
}

export const LOKI_FAILURE =
  'MissingObjectStorageSecret: Missing secrets for object storage (logging-loki-s3)';

/** Synced, but the LokiStack wave failed: the forwarder never synced. */
export function degradedEnvironment(): EnvironmentDetails {
  const env = approved(base());
  return {
    ...env,
    phase: 'sync',
    sync: syncRun(
      'failed',
      'wave 10 (LokiStack) of acme-prod-logging-infrastructure is Degraded',
    ),
    applications: [
      app('infrastructure', ['healthy', 'failed', 'pending'], {
        10: LOKI_FAILURE,
      }),
      app('forwarder', ['pending']),
    ],
  };
}

export const SYNC_WINDOW_MESSAGE =
  'a deny sync window of AppProject logging (Sat-Sun) blocks syncs now; the sync was not forced';

/** Approved, but the Argo CD sync window denies syncs. */
export function blockedEnvironment(): EnvironmentDetails {
  const env = approved(base());
  return {
    ...env,
    phase: 'sync',
    sync: syncRun('blocked', SYNC_WINDOW_MESSAGE),
  };
}

/** The checklist fails; nobody may approve. */
export function failingChecklistEnvironment(): EnvironmentDetails {
  const env = base();
  return {
    ...env,
    checklist: checklist({
      'cluster-secret-store': {
        status: 'fail',
        message:
          'ClusterSecretStore aws-secrets-manager is not Ready: could not get provider client: AccessDenied',
      },
    }),
    can: {
      ...env.can,
      approve: {
        allowed: false,
        reason:
          'the checklist has failing items (ClusterSecretStore Ready); fix them and run the checklist again',
      },
    },
  };
}

export function history(): HistoryEvent[] {
  return [
    {
      id: 'h3',
      type: 'approval',
      actor: 'user:default/security-reviewer',
      at: EARLIER,
      message: decisionMessage({
        decision: 'approve',
        roleTitle: 'Security review',
        revision: REVISION,
        comment: 'Bucket policy and encryption reviewed',
      }),
    },
    {
      id: 'h2',
      type: 'checklist',
      actor: 'user:default/requester',
      at: EARLIER,
      message: 'Checklist passed (5 of 5 items)',
    },
    {
      id: 'h1',
      type: 'bootstrap',
      actor: 'system',
      at: EARLIER,
      message: 'Environment bootstrapped',
    },
  ];
}
