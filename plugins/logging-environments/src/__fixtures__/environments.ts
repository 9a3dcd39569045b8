// Environments in each state the page must render, shared by the component
// tests and the dev app. Shapes follow the backend's openapi.yaml.
import {
  ApplicationStatus,
  ChecklistItem,
  DEFAULT_TIER_POLICIES,
  EnvironmentDetails,
  HistoryEvent,
  ServiceHealth,
  Tier,
  WAVE_PLAN,
  WaveState,
  WaveStep,
} from '@internal/plugin-logging-environments-common';
import { Entity } from '@backstage/catalog-model';

/** The revision approvals are bound to in every fixture. */
export const REVISION = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';
export const SHORT_REVISION = 'a1b2c3d';
export const ARGOCD_URL = 'https://argocd.example.com';
export const NOW = '2026-01-15T10:00:00.000Z';
const EARLIER = '2026-01-15T09:30:00.000Z';

export const ENVIRONMENT_REF = 'resource:default/acme-prod';

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

/** The sample service whose logs go to the environment. */
export function serviceEntity(annotations?: Record<string, string>): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name: 'checkout',
      namespace: 'default',
      annotations: annotations ?? {
        'logging-environments.io/environment': ENVIRONMENT_REF,
        'backstage.io/kubernetes-namespace': 'checkout',
      },
    },
    spec: {
      type: 'service',
      lifecycle: 'production',
      owner: 'group:default/checkout-team',
    },
  };
}

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

function checklist(
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

const RESOURCE_NAMES: Record<WaveStep['id'], string> = {
  'external-secret': 'logging-loki-s3',
  'loki-stack': 'logging-loki',
  'health-check': 'logging-health-check',
  'log-forwarder': 'collector',
};

const WAVE_HEALTH: Record<WaveState, string> = {
  healthy: 'Healthy',
  running: 'Progressing',
  pending: 'Missing',
  degraded: 'Degraded',
  failed: 'Degraded',
};

export function app(
  role: 'infrastructure' | 'forwarder',
  states: WaveState[],
  messages: Record<number, string> = {},
): ApplicationStatus {
  const steps = WAVE_PLAN.filter(s => s.application === role);
  const allHealthy = states.every(s => s === 'healthy');
  const anyFailed = states.some(s => s === 'failed' || s === 'degraded');
  const anyStarted = states.some(s => s !== 'pending');
  let overall: { health: string; phase?: string } = { health: 'Missing' };
  if (allHealthy) overall = { health: 'Healthy', phase: 'Succeeded' };
  else if (anyFailed) overall = { health: 'Degraded', phase: 'Failed' };
  else if (anyStarted) overall = { health: 'Progressing', phase: 'Running' };
  return {
    role,
    name: `acme-prod-logging-${role}`,
    syncStatus: allHealthy ? 'Synced' : 'OutOfSync',
    health: overall.health,
    revision: anyStarted ? REVISION : undefined,
    operationPhase: overall.phase,
    operationMessage: anyFailed
      ? 'one or more objects failed to apply'
      : undefined,
    url: `${ARGOCD_URL}/applications/openshift-gitops/acme-prod-logging-${role}`,
    waves: steps.map((step, i) => ({
      wave: step.wave,
      step,
      state: states[i],
      resources: [
        {
          kind: step.kind,
          name: RESOURCE_NAMES[step.id],
          namespace: 'openshift-logging',
          syncStatus: states[i] === 'pending' ? 'OutOfSync' : 'Synced',
          health: WAVE_HEALTH[states[i]],
          message:
            messages[step.wave] ??
            (states[i] === 'healthy' ? `${step.title} is healthy` : undefined),
        },
      ],
    })),
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
        reason: 'the requester of a production environment cannot approve it',
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
      message: `Approved as Security review for revision ${SHORT_REVISION}: Bucket policy and encryption reviewed`,
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

export function serviceHealth(
  overrides: Partial<ServiceHealth> = {},
): ServiceHealth {
  return {
    entityRef: 'component:default/checkout',
    environment: {
      entityRef: ENVIRONMENT_REF,
      name: 'acme-prod',
      tier: 'production',
      cluster: 'sandbox',
    },
    namespace: 'checkout',
    collected: 'yes',
    lokiStack: { health: 'Healthy', message: 'All components ready' },
    forwarder: { health: 'Healthy', message: 'Ready' },
    lastSync: { revision: REVISION, phase: 'Succeeded', finishedAt: EARLIER },
    links: {
      environment: '/catalog/default/resource/acme-prod/logging',
      logs: 'https://console.example.com/dev-monitoring/ns/checkout/logs',
    },
    ...overrides,
  };
}
