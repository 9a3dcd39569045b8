/** A router over recording fakes of the services, for the route tests. */
import {
  mockCredentials,
  mockErrorHandler,
  mockServices,
} from '@backstage/backend-test-utils';
import { NotFoundError } from '@backstage/errors';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import express from 'express';
import { createRouter } from '../router';
import { EnvironmentOverviewService } from '../services/overview';
import { Environment } from '../services/types';
import { WatchReadiness } from '../services/waves/readiness';
import { testEnvironment } from '../services/__testUtils__/environment';

function environment(name: string, tier: Environment['tier']): Environment {
  return testEnvironment({ name, tier });
}

export const ENVIRONMENTS = [
  environment('acme-prod', 'production'),
  environment('acme-dev', 'development'),
  environment('acme-stg', 'staging'),
];

export const VIEWER = mockCredentials.user('user:default/viewer');

/**
 * A backend where the viewer may only read, the approver may do everything,
 * and nobody may read `acme-stg`.
 */
export async function setup() {
  const authorize = jest.fn(async (requests: any[], options: any) =>
    requests.map(r => {
      const user = options.credentials.principal.userEntityRef;
      if (r.resourceRef === 'resource:default/acme-stg') {
        return { result: AuthorizeResult.DENY };
      }
      if (r.permission.name === 'logging.environment.read') {
        return { result: AuthorizeResult.ALLOW };
      }
      return {
        result:
          user === 'user:default/approver' ||
          options.credentials.principal.type === 'service'
            ? AuthorizeResult.ALLOW
            : AuthorizeResult.DENY,
      };
    }),
  );
  // The list asks once, conditionally: readers of everything but acme-stg.
  const authorizeConditional = jest.fn(async () => [
    { result: AuthorizeResult.CONDITIONAL, conditions: { not: 'acme-stg' } },
  ]);
  const permissions = mockServices.permissions.mock({
    authorize: authorize as any,
    authorizeConditional: authorizeConditional as any,
  });
  const auditEvents: Array<{ eventId: string; outcome: string; meta: any }> =
    [];
  const auditor = mockServices.auditor.mock({
    createEvent: (async (options: any) => ({
      success: async () => {
        auditEvents.push({ ...options, outcome: 'success' });
      },
      fail: async () => {
        auditEvents.push({ ...options, outcome: 'fail' });
      },
    })) as any,
  });
  const environments = {
    get: jest.fn(async (ref: string) => {
      const found = ENVIRONMENTS.find(e => e.entityRef === ref);
      if (!found) throw new NotFoundError(`No entity ${ref}`);
      return found;
    }),
    list: jest.fn(async () => ENVIRONMENTS),
    page: jest.fn(async (_c: any, _f: any, p: any) => ({
      items: ENVIRONMENTS.slice(p.offset, p.offset + p.limit),
      totalItems: ENVIRONMENTS.length,
    })),
    forService: jest.fn(async (ref: string) => ({
      service: { entityRef: ref, namespace: 'checkout' },
      environment: ref.endsWith('/secret-service')
        ? ENVIRONMENTS[2]
        : ENVIRONMENTS[0],
    })),
  };
  const store = {
    listHistory: jest.fn(async () => [
      { id: 'h1', type: 'checklist', actor: 'user:default/viewer' },
    ]),
  };
  // The real list and history reads (paging under one read decision), over
  // a list item and details that name what they were given.
  const overview = Object.assign(
    new EnvironmentOverviewService({
      store: store as any,
      environments: environments as any,
      approvals: {} as any,
      sync: {} as any,
      waves: {} as any,
      readableBy: (decision: any, e: Environment) =>
        decision.result === AuthorizeResult.CONDITIONAL &&
        e.name !== decision.conditions.not,
    }),
    {
      listItem: jest.fn(async (e: Environment) => ({
        entityRef: e.entityRef,
      })),
      details: jest.fn(async (e: Environment, caller: any, grants: any) => ({
        entityRef: e.entityRef,
        caller: caller ?? null,
        grants,
      })),
    },
  );
  const checklist = {
    run: jest.fn(async () => ({ id: 'run-1', status: 'pass', items: [] })),
  };
  const approvals = {
    decide: jest.fn(async () => ({
      required: [],
      decisions: [],
      complete: true,
    })),
  };
  const sync = {
    request: jest.fn(async (_e: Environment, actor: string) => ({
      id: 'sync-1',
      state: 'pending',
      revision: 'a'.repeat(40),
      requestedBy: actor,
    })),
  };
  const health = {
    health: jest.fn(async (ref: string) => ({ entityRef: ref })),
  };
  const records = {
    claim: jest.fn(async (body: any, caller: any, opts: any) => ({
      record: { entityRef: `resource:default/${body.name}`, caller, opts },
      created: body.name !== 'existing',
    })),
    checkStep: jest.fn(async (ref: string, caller: any) => ({
      entityRef: ref,
      caller,
    })),
    bindApplications: jest.fn(async (ref: string) => ({ entityRef: ref })),
    administer: jest.fn(async (ref: string) => ({ entityRef: ref })),
    release: jest.fn(async () => {}),
  };
  const readiness = {
    readiness: jest.fn(
      (): WatchReadiness => ({
        status: 'ok',
        clusters: [{ name: 'sandbox', state: 'ready' }],
        unreachable: [],
      }),
    ),
  };
  const router = await createRouter({
    httpAuth: mockServices.httpAuth(),
    userInfo: mockServices.userInfo(),
    permissions,
    auditor,
    clusters: {
      list: () => [{ name: 'sandbox', argocdUrl: 'http://argocd.test' }],
    } as any,
    environments: environments as any,
    overview: overview as any,
    checklist: checklist as any,
    approvals: approvals as any,
    sync: sync as any,
    health: health as any,
    records: records as any,
    readiness,
  });
  const app = express().use(router).use(mockErrorHandler());
  return {
    app,
    environments,
    authorizeConditional,
    authorize,
    auditEvents,
    overview,
    checklist,
    approvals,
    sync,
    health,
    records,
    readiness,
  };
}

export const claimBody = {
  name: 'acme-prod',
  tier: 'production',
  cluster: 'sandbox',
  owner: 'group:default/platform-team',
  region: 'us-east-2',
  bucket: 'acme-prod-loki',
};
