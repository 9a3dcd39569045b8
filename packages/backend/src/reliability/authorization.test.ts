/**
 * The authorization matrix: every route of the logging-environments API
 * (read from its OpenAPI spec, so a new route cannot be forgotten) x every
 * kind of caller, through the real permission backend and the portal's
 * policy. "allow" means the caller got past authentication and
 * authorization (the answer may still be a 409 or a 400 for business
 * reasons); "deny" is a 403; "anonymous" callers get a 401.
 */
import { mockCredentials } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import {
  openApiSpec as spec,
  testRecord,
} from '@internal/plugin-logging-environments-backend/testUtils';
import { Sandbox, startSandbox } from '@internal/sandbox';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'yaml';
import { openWorld } from '../environments/__testUtils__/bootstrapEnvironment';
import {
  orgEntities,
  PortalBackend,
  startPortalBackend,
} from '../environments/__testUtils__/portalBackend';
import { REPO_ROOT } from '../gitops/__testUtils__/kustomize';
import { recordReliability } from './__testUtils__/summary';

jest.setTimeout(120_000);

type Outcome = 'allow' | 'deny' | 'unauthenticated';

const CALLERS = {
  anonymous: { header: mockCredentials.none.header() },
  viewer: 'viewer',
  requester: 'requester',
  approver: 'approver',
  'security-reviewer': 'security-reviewer',
  // Owns another team's service (checkout), nothing of the platform's.
  'other-team-owner': 'viewer',
  'service token': { header: mockCredentials.service.header() },
  // A member of the configured administrator group.
  administrator: 'admin',
} as const;
type Caller = keyof typeof CALLERS;

const readers = (): Record<Caller, Outcome> => ({
  anonymous: 'unauthenticated',
  viewer: 'allow',
  requester: 'allow',
  approver: 'allow',
  'security-reviewer': 'allow',
  'other-team-owner': 'allow',
  'service token': 'allow',
  administrator: 'allow',
});

/** Who may run acme-prod's bootstrap: its requester and administrators, as users. */
const bootstrappers = (): Record<Caller, Outcome> => ({
  anonymous: 'unauthenticated',
  viewer: 'deny',
  requester: 'allow',
  approver: 'deny',
  'security-reviewer': 'deny',
  'other-team-owner': 'deny',
  'service token': 'deny',
  administrator: 'allow',
});

/** Administrators only. */
const administrators = (): Record<Caller, Outcome> => ({
  ...bootstrappers(),
  requester: 'deny',
});

/** Expected outcome per `METHOD /path` of the spec, per caller. */
const MATRIX: Record<string, Record<Caller, Outcome>> = {
  'GET /health': {
    anonymous: 'allow',
    viewer: 'allow',
    requester: 'allow',
    approver: 'allow',
    'security-reviewer': 'allow',
    'other-team-owner': 'allow',
    'service token': 'allow',
    administrator: 'allow',
  },
  'GET /clusters': readers(),
  'GET /environments': readers(),
  'GET /environments/{namespace}/{name}': readers(),
  'POST /environments/{namespace}/{name}/checklist': readers(),
  'GET /environments/{namespace}/{name}/history': readers(),
  'GET /services/{namespace}/{kind}/{name}/health': readers(),
  // Members of a group the tier names (security reviewers, platform
  // approvers); never a service. The requester is not in one here.
  'POST /environments/{namespace}/{name}/approvals': {
    anonymous: 'unauthenticated',
    viewer: 'deny',
    requester: 'deny',
    approver: 'allow',
    'security-reviewer': 'allow',
    'other-team-owner': 'deny',
    'service token': 'deny',
    administrator: 'deny',
  },
  // Platform approvers only; never a service.
  'POST /environments/{namespace}/{name}/sync': {
    anonymous: 'unauthenticated',
    viewer: 'deny',
    requester: 'deny',
    approver: 'allow',
    'security-reviewer': 'deny',
    'other-team-owner': 'deny',
    'service token': 'deny',
    administrator: 'deny',
  },
  // The trusted record: re-running an existing environment's bootstrap is
  // its requester's, its owner group's (nobody else here) and
  // administrators'; changing or releasing a record administrators' only.
  'POST /records': bootstrappers(),
  'POST /records/{namespace}/{name}/steps': bootstrappers(),
  'POST /records/{namespace}/{name}/applications': bootstrappers(),
  'PATCH /records/{namespace}/{name}': administrators(),
  'DELETE /records/{namespace}/{name}': administrators(),
};

const PARAMS: Record<string, string> = {
  namespace: 'default',
  name: 'acme-prod',
  kind: 'component',
};
const BODIES: Record<string, object> = {
  'POST /environments/{namespace}/{name}/approvals': {
    decision: 'approve',
    comment: 'matrix',
  },
  'POST /environments/{namespace}/{name}/sync': {},
  // What acme-prod's record holds: a re-run may repeat it.
  'POST /records': {
    name: 'acme-prod',
    tier: 'production',
    cluster: 'sandbox',
    owner: 'group:default/platform-team',
    region: 'us-east-2',
    bucket: 'acme-prod-loki',
  },
  'PATCH /records/{namespace}/{name}': { reason: 'matrix' },
  'POST /records/{namespace}/{name}/steps': {
    action: 'logging:bucket:ensure',
    facts: { bucket: 'acme-prod-loki', region: 'us-east-2' },
  },
};
const QUERIES: Record<string, string> = {
  'DELETE /records/{namespace}/{name}': '?reason=matrix',
};

function specRoutes(): string[] {
  return Object.entries(spec.paths).flatMap(([path, item]) =>
    Object.keys(item)
      .filter(m => ['get', 'post', 'put', 'patch', 'delete'].includes(m))
      .map(m => `${m.toUpperCase()} ${path}`),
  );
}

function outcome(status: number): Outcome {
  if (status === 401) return 'unauthenticated';
  if (status === 403) return 'deny';
  return 'allow';
}

describe('authorization matrix', () => {
  let sandbox: Sandbox;
  let portal: PortalBackend;

  beforeAll(async () => {
    sandbox = await startSandbox({ profile: 'fast' });
    const world = await openWorld(sandbox);
    // The example environment and service, not bootstrapped (but with the
    // record a bootstrap writes): authorization does not depend on the
    // environment's state.
    await world.records.records.create(testRecord({ name: 'acme-prod' }));
    const examples = yaml
      .parseAllDocuments(
        readFileSync(join(REPO_ROOT, 'examples/entities.yaml'), 'utf8'),
      )
      .map(d => d.toJSON() as Entity)
      .filter(Boolean);
    portal = await startPortalBackend({
      config: {
        ...world.config,
        loggingEnvironments: {
          ...world.config.loggingEnvironments,
          checklist: { probeTimeoutSeconds: 2 },
          administrators: ['group:default/platform-admins'],
        },
      },
      entities: [...orgEntities(), ...examples],
      knex: world.records.knex,
      extraMemberships: {
        'user:default/admin': ['group:default/platform-admins'],
      },
    });
  });

  afterAll(async () => {
    await portal?.stop();
    await sandbox?.stop();
  });

  it('has a row for every route of the API, and no row for a route that is gone', () => {
    expect(Object.keys(MATRIX).sort()).toEqual(specRoutes().sort());
  });

  it('allows and denies every route exactly as the matrix says', async () => {
    const got: Record<string, Record<string, Outcome>> = {};
    // Releasing the record goes last: the other routes need it.
    const routes = specRoutes().sort(
      (a, b) => Number(a.startsWith('DELETE')) - Number(b.startsWith('DELETE')),
    );
    for (const route of routes) {
      const [method, template] = route.split(' ');
      const path =
        template.replace(/\{(\w+)\}/g, (_, p) => PARAMS[p]) +
        (QUERIES[route] ?? '');
      got[route] = {};
      for (const [caller, who] of Object.entries(CALLERS)) {
        const res = await portal.call(
          method.toLowerCase() as 'get' | 'post' | 'patch' | 'delete',
          path,
          who as string | { header: string },
          BODIES[route],
        );
        expect(res.status).toBeLessThan(500);
        got[route][caller] = outcome(res.status);
      }
    }
    expect(got).toEqual(MATRIX);
    recordReliability(
      'matrix cells checked',
      Object.values(got).reduce((n, row) => n + Object.keys(row).length, 0),
      'routes x callers',
    );
  });

  it('audits every refused decision and sync with who was refused', async () => {
    const refused = portal.audit.filter(e => e.status === 'failed');
    const byEvent = (id: string) =>
      refused.filter(e => e.eventId === id).map(e => e.error);
    // viewer, requester, other-team-owner and the service token, per route.
    expect(byEvent('environment-approval')).toHaveLength(
      Object.values(
        MATRIX['POST /environments/{namespace}/{name}/approvals'],
      ).filter(o => o === 'deny').length +
        // approver and security reviewer are authorized but refused by the
        // gate (no passing checklist yet), which is audited too.
        2,
    );
    expect(byEvent('sync-request').length).toBeGreaterThanOrEqual(
      Object.values(
        MATRIX['POST /environments/{namespace}/{name}/sync'],
      ).filter(o => o === 'deny').length,
    );
  });
});
