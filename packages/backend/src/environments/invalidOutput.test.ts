/**
 * Issue 14's acceptance test, through the real plugin in a test backend on
 * the sandbox, once as Argo CD 3.x keeps resource health (in the resource
 * tree, the sandbox's default), once as 2.x did (in the Application's
 * status.resources) and once on OpenShift GitOps (the health checks in the
 * ArgoCD resource, rendered by its operator without the Lua libraries): a
 * staging revision whose ClusterLogForwarder has an invalid output shows
 * wave 30 Degraded with the output's reason, and its sync is rolled back to
 * the last healthy revision.
 */
import { Entity } from '@backstage/catalog-model';
import {
  ChecklistRun,
  EnvironmentDetails,
  WaveResource,
} from '@internal/plugin-logging-environments-common';
import { Sandbox, startSandbox } from '@internal/sandbox';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import {
  bootstrapEnvironment,
  BootstrapWorld,
  openWorld,
} from './__testUtils__/bootstrapEnvironment';
import {
  orgEntities,
  PortalBackend,
  startPortalBackend,
} from './__testUtils__/portalBackend';

jest.setTimeout(300_000);

const NAME = 'acme-out';
const ENV = `/environments/default/${NAME}`;
const MISSING_CA = 'logging-collector-ca-missing';
// What the Cluster Logging Operator says of the output (common/validate.go,
// "configmap[%s] not found"), as the shipped health check names it.
const OUTPUT_REASON = `output default-lokistack: ValidationFailure: configmap[${MISSING_CA}] not found`;

describe.each([
  {
    mode: 'Argo CD 3.x (resource health in the resource tree)',
    argoCdFlavour: 'upstream' as const,
    persistResourceHealth: false,
    healthSource: 'resource-tree',
    healthChecksIn: 'ConfigMap openshift-gitops/argocd-cm',
  },
  {
    mode: 'Argo CD 2.x (resource health in status.resources)',
    argoCdFlavour: 'upstream' as const,
    persistResourceHealth: true,
    healthSource: 'application',
    healthChecksIn: 'ConfigMap openshift-gitops/argocd-cm',
  },
  {
    // The operator renders the ArgoCD resource's spec.resourceHealthChecks
    // into argocd-cm without useOpenLibs, and External Secrets waits for its
    // OperatorConfig as in the other modes.
    mode: 'OpenShift GitOps (health checks from the ArgoCD resource, Argo CD 3.x)',
    argoCdFlavour: 'openshift-gitops' as const,
    persistResourceHealth: false,
    healthSource: 'resource-tree',
    healthChecksIn: 'ArgoCD openshift-gitops/openshift-gitops',
  },
])('$mode', mode => {
  const { argoCdFlavour, persistResourceHealth, healthSource, healthChecksIn } =
    mode;
  let sandbox: Sandbox;
  let world: BootstrapWorld;
  let portal: PortalBackend;

  const details = async () => {
    const res = await portal.call('get', ENV, 'viewer');
    expect(res.status).toBe(200);
    return res.body as EnvironmentDetails;
  };
  const forwarderWave = (d: EnvironmentDetails) =>
    d.applications
      .find(a => a.role === 'forwarder')
      ?.waves.find(w => w.wave === 30);

  /**
   * Runs the scheduled sync until the latest run at `revision` is final,
   * reading the page meanwhile, fast enough to see a wave 30 that is
   * Degraded only until the rollback.
   */
  async function tickUntilFinal(revision: string) {
    const degraded: WaveResource[] = [];
    let done = false;
    const watching = (async () => {
      while (!done) {
        const wave = forwarderWave(await details());
        if (wave?.state === 'degraded') {
          degraded.push(
            ...wave.resources.filter(r => r.kind === 'ClusterLogForwarder'),
          );
        }
        await new Promise(r => setTimeout(r, 25));
      }
    })();
    try {
      for (let i = 0; i < 400; i++) {
        await portal.tick();
        const d = await details();
        if (
          d.sync?.revision === revision &&
          ['succeeded', 'failed', 'blocked'].includes(d.sync.state)
        ) {
          return { details: d, degraded };
        }
        await new Promise(r => setTimeout(r, 200));
      }
      throw new Error(`no final run at ${revision}`);
    } finally {
      done = true;
      await watching;
    }
  }

  /** Approves `revision` once its checklist passes; returns that checklist. */
  async function verifyAndApprove(revision: string) {
    let checklist: ChecklistRun | undefined;
    for (let i = 0; i < 40; i++) {
      const run = await portal.call('post', `${ENV}/checklist`, 'requester');
      checklist = run.body;
      if (
        checklist?.revision === revision &&
        ['pass', 'warn'].includes(checklist.status)
      ) {
        break;
      }
      await new Promise(r => setTimeout(r, 250));
    }
    const res = await portal.call('post', `${ENV}/approvals`, 'approver', {
      decision: 'approve',
      role: 'configuration-review',
      comment: `reviewed ${revision.slice(0, 7)}`,
      revision,
    });
    expect(res.body).toMatchObject({ complete: true });
    return checklist!;
  }

  beforeAll(async () => {
    sandbox = await startSandbox({
      profile: 'fast',
      argoCdFlavour,
      persistResourceHealth,
    });
    world = await openWorld(sandbox);
    const { entity } = await bootstrapEnvironment(world, {
      name: NAME,
      tier: 'staging',
    });
    // The portal reaches Argo CD's API as `yarn sandbox` configures it: for
    // syncs, and for the resource trees of 3.x.
    const cluster = world.config.loggingEnvironments.clusters[0];
    cluster.argocdUrl = sandbox.argocd.url;
    cluster.argocdToken = sandbox.argocd.token;
    const entities: Entity[] = [...orgEntities(), entity];
    portal = await startPortalBackend({
      config: world.config,
      entities,
      knex: world.records.knex,
    });
  });

  afterAll(async () => {
    await portal?.stop();
    await sandbox?.stop();
  });

  it('shows wave 30 Degraded with the output reason and rolls a staging sync of it back', async () => {
    const healthy = (await details()).approvals.revision!;
    const checklist = await verifyAndApprove(healthy);
    // The health checks are where this Argo CD takes them, with no Lua
    // libraries opened for them.
    expect(
      checklist.items.find(i => i.id === 'argocd-health-checks'),
    ).toMatchObject({
      status: 'pass',
      evidence: { flavour: argoCdFlavour, configuredIn: healthChecksIn },
    });
    const argocdCm: any = sandbox.store.get({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      namespace: 'openshift-gitops',
      name: 'argocd-cm',
    });
    expect(
      Object.keys(argocdCm.data).filter(k =>
        k.startsWith('resource.customizations.useOpenLibs.'),
      ),
    ).toEqual([]);
    const first = await tickUntilFinal(healthy);
    expect(first.details.sync).toMatchObject({ state: 'succeeded' });
    const status = (await details()).applications.find(
      a => a.role === 'forwarder',
    )!;
    expect(status.waves).toEqual([
      expect.objectContaining({ wave: 30, state: 'healthy' }),
    ]);

    // A revision whose forwarder output trusts a CA ConfigMap that does not exist.
    const path = join(
      world.clone,
      `environments/${NAME}/forwarder/kustomization.yaml`,
    );
    const kustomization = parse(readFileSync(path, 'utf8'));
    kustomization.patches = [
      ...(kustomization.patches ?? []),
      {
        target: { kind: 'ClusterLogForwarder', name: 'collector' },
        patch: stringify([
          {
            op: 'replace',
            path: '/spec/outputs/0/tls/ca/configMapName',
            value: MISSING_CA,
          },
        ]),
      },
    ];
    writeFileSync(path, stringify(kustomization));
    const broken = await world.push(
      `${NAME}: the forwarder's output trusts a CA that does not exist`,
    );
    await verifyAndApprove(broken);
    const { details: d, degraded } = await tickUntilFinal(broken);

    // Wave 30 was Degraded with the output's reason, read where this Argo
    // CD keeps resource health.
    expect(degraded[0]).toMatchObject({
      kind: 'ClusterLogForwarder',
      name: 'collector',
      health: 'Degraded',
      healthSource,
      message: OUTPUT_REASON,
    });

    // The sync failed on it and went back to the healthy revision.
    expect(d.sync?.state).toBe('failed');
    expect(d.sync?.message).toBe(
      `rolled back to ${healthy.slice(
        0,
        7,
      )} after: The sync of ${NAME}-logging-forwarder at ${broken.slice(
        0,
        7,
      )} succeeded in Argo CD, but ClusterLogForwarder (wave 30) is degraded: ClusterLogForwarder collector Degraded: ${OUTPUT_REASON}`,
    );
    const forwarder: any = sandbox.store.get({
      apiVersion: 'observability.openshift.io/v1',
      kind: 'ClusterLogForwarder',
      namespace: 'openshift-logging',
      name: 'collector',
    });
    expect(forwarder.spec.outputs[0].tls.ca.configMapName).toBe(
      'openshift-service-ca.crt',
    );
    const history = await portal.call('get', `${ENV}/history`, 'viewer');
    expect(
      history.body.items.slice(0, 2).map((e: any) => [e.type, e.message]),
    ).toEqual([
      ['rollback', d.sync?.message],
      ['sync-failed', expect.stringContaining(OUTPUT_REASON)],
    ]);
  });
});
