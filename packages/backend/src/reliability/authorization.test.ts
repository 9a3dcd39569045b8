/**
 * The authorization matrix: every route of the logging-environments API
 * (read from its OpenAPI spec, so a new route cannot be forgotten) x every
 * kind of caller, through the real permission backend and the portal's
 * policy, each caller kind a distinct principal. Each cell is the exact
 * status: 401 for a caller not authenticated, 403 for one not authorized,
 * and for an authorized one what the route answers in the state set up
 * here (a 409 when the environment's state refuses it).
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

/** The exact status a caller gets from a route. */
type Status = number;

const CALLERS = {
  anonymous: { header: mockCredentials.none.header() },
  viewer: 'viewer',
  requester: 'requester',
  approver: 'approver',
  'security-reviewer': 'security-reviewer',
  // A member of another team (payments), nothing of the platform's.
  'other-team-owner': 'payments-owner',
  'service token': { header: mockCredentials.service.header() },
  // A member of the configured administrator group.
  administrator: 'admin',
} as const;
type Caller = keyof typeof CALLERS;

/** Every caller kind is a distinct principal: no cell repeats another. */
const USERS = Object.values(CALLERS).filter(
  (who): who is Extract<(typeof CALLERS)[Caller], string> =>
    typeof who === 'string',
);

/** Anonymous callers are refused (401); everyone else gets `status`. */
const readers = (status: Status): Record<Caller, Status> => ({
  anonymous: 401,
  viewer: status,
  requester: status,
  approver: status,
  'security-reviewer': status,
  'other-team-owner': status,
  'service token': status,
  administrator: status,
});

/**
 * Who may run acme-prod's bootstrap: its requester and administrators, as
 * users; both get `status`.
 */
const bootstrappers = (status: Status): Record<Caller, Status> => ({
  anonymous: 401,
  viewer: 403,
  requester: status,
  approver: 403,
  'security-reviewer': 403,
  'other-team-owner': 403,
  'service token': 403,
  administrator: status,
});

/** Administrators only. */
const administrators = (status: Status): Record<Caller, Status> => ({
  ...bootstrappers(status),
  requester: 403,
});

/**
 * Expected status per `METHOD /path` of the spec, per caller: 401 is
 * "not authenticated", 403 "not authorized"; any other status is what the
 * route answers an authorized caller in the state the test sets up.
 */
const MATRIX: Record<string, Record<Caller, Status>> = {
  'GET /health': { ...readers(200), anonymous: 200 },
  'GET /clusters': readers(200),
  'GET /environments': readers(200),
  'GET /environments/{namespace}/{name}': readers(200),
  'POST /environments/{namespace}/{name}/checklist': readers(200),
  'GET /environments/{namespace}/{name}/history': readers(200),
  'GET /services/{namespace}/{kind}/{name}/health': readers(200),
  // Members of a group the tier names (security reviewers, platform
  // approvers); never a service. The requester is not in one here. Those
  // allowed are refused by the gate (409): no checklist has passed yet.
  'POST /environments/{namespace}/{name}/approvals': {
    anonymous: 401,
    viewer: 403,
    requester: 403,
    approver: 409,
    'security-reviewer': 409,
    'other-team-owner': 403,
    'service token': 403,
    administrator: 403,
  },
  // Platform approvers only; never a service. The approver is refused by
  // the gate (409): no approval was given.
  'POST /environments/{namespace}/{name}/sync': {
    anonymous: 401,
    viewer: 403,
    requester: 403,
    approver: 409,
    'security-reviewer': 403,
    'other-team-owner': 403,
    'service token': 403,
    administrator: 403,
  },
  // The trusted record: re-running an existing environment's bootstrap is
  // its requester's, its owner group's (nobody else here) and
  // administrators'; changing or releasing a record administrators' only.
  'POST /records': bootstrappers(200),
  'POST /records/{namespace}/{name}/steps': bootstrappers(200),
  // acme-prod is not bootstrapped here: its Applications are not
  // registered, so binding them is refused (409) once authorized.
  'POST /records/{namespace}/{name}/applications': bootstrappers(409),
  'PATCH /records/{namespace}/{name}': administrators(200),
  'DELETE /records/{namespace}/{name}': administrators(204),
};

const PARAMS: Record<string, string> = {
  namespace: 'default',
  name: 'acme-prod',
};
/** Routes about a service: checkout, whose logs go to acme-prod. */
const SERVICE_PARAMS: Record<string, string> = {
  namespace: 'default',
  kind: 'component',
  name: 'checkout',
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

  it('calls as a distinct principal for every kind of caller', () => {
    expect(new Set(USERS).size).toBe(USERS.length);
    expect(CALLERS.anonymous.header).not.toBe(CALLERS['service token'].header);
    // Users of the demo org, but for the administrator (the configured
    // group, which no demo user is in).
    const demoUsers = orgEntities()
      .filter(e => e.kind === 'User')
      .map(e => e.metadata.name);
    expect(USERS.filter(u => !demoUsers.includes(u))).toEqual(['admin']);
  });

  it('allows and denies every route exactly as the matrix says', async () => {
    const got: Record<string, Record<string, Status>> = {};
    // Releasing the record goes last: the other routes need it.
    const routes = specRoutes().sort(
      (a, b) => Number(a.startsWith('DELETE')) - Number(b.startsWith('DELETE')),
    );
    for (const route of routes) {
      const [method, template] = route.split(' ');
      const path =
        template.replace(
          /\{(\w+)\}/g,
          (_, p) =>
            (template.startsWith('/services/') ? SERVICE_PARAMS : PARAMS)[p],
        ) + (QUERIES[route] ?? '');
      got[route] = {};
      for (const [caller, who] of Object.entries(CALLERS)) {
        const res = await portal.call(
          method.toLowerCase() as 'get' | 'post' | 'patch' | 'delete',
          path,
          who as string | { header: string },
          BODIES[route],
        );
        got[route][caller] = res.status;
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
    // Every authenticated caller the route refused: those not authorized
    // (403) and those authorized but stopped by the gate (409). Anonymous
    // callers are refused before the route (401), unaudited.
    const refusals = (route: string) =>
      Object.values(MATRIX[route]).filter(s => s === 403 || s === 409).length;
    expect(byEvent('environment-approval')).toHaveLength(
      refusals('POST /environments/{namespace}/{name}/approvals'),
    );
    expect(byEvent('sync-request')).toHaveLength(
      refusals('POST /environments/{namespace}/{name}/sync'),
    );
  });
});
