import { StoredSyncRun } from '../../database/LoggingEnvironmentsStore';
import {
  REV_NEW,
  REV_OLD,
  application,
} from '../waves/__testUtils__/applications';
import {
  changes,
  readRunData,
  stageOf,
  stagePatch,
  targetOf,
  withRunData,
} from './runData';
import { ALICE, setup } from './__testUtils__/syncSetup';

/** Every key a run's data had before it was typed, as rows in use hold them. */
const STORED_KEYS = [
  'cluster',
  'argocdNamespace',
  'infrastructureApp',
  'forwarderApp',
  'tier',
  'rollbackOnFailure',
  'binding',
  'infrastructureBaseline',
  'infrastructureRollbackId',
  'infrastructureRollbackRevision',
  'infrastructureMethod',
  'infrastructureSucceededAt',
  'forwarderBaseline',
  'forwarderRollbackId',
  'forwarderRollbackRevision',
  'forwarderMethod',
  'failure',
  'rollbackApplication',
  'rollbackRevision',
  'rollbackBaseline',
  'rollbackAttempts',
  // Added since: what a stage follows of the operators' statuses, and when
  // a run saw its rollback fail. Rows without them read as before.
  'infrastructureFollowed',
  'forwarderFollowed',
  'rollbackFailureSeen',
];

function storedRun(data: StoredSyncRun['data']): StoredSyncRun {
  return {
    id: 'run-1',
    environmentRef: 'resource:default/acme-stage',
    state: 'rolling-back',
    revision: REV_NEW,
    requestedBy: 'system',
    startedAt: '2025-01-01T00:00:00.000Z',
    updatedAt: '2025-01-01T00:00:00.000Z',
    stateSince: '2025-01-01T00:00:00.000Z',
    data,
  };
}

describe('run data', () => {
  it('reads a row as runs stored it before their data was typed', () => {
    const row = JSON.parse(
      JSON.stringify({
        cluster: 'sandbox',
        argocdNamespace: 'openshift-gitops',
        infrastructureApp: 'acme-stage-logging-infrastructure',
        forwarderApp: 'acme-stage-logging-forwarder',
        tier: 'staging',
        rollbackOnFailure: true,
        binding: 'b1',
        infrastructureBaseline: '["Succeeded","s","f","r","",4]',
        infrastructureRollbackId: 3,
        infrastructureRollbackRevision: REV_OLD,
        infrastructureMethod: 'operation',
        failure: 'The sync failed',
        rollbackApplication: 'infrastructure',
        rollbackRevision: REV_OLD,
        rollbackBaseline: '["Failed","s","f","r","",4]',
        rollbackAttempts: 2,
      }),
    );
    const data = readRunData(storedRun(row));
    expect(data).toMatchObject({
      cluster: 'sandbox',
      tier: 'staging',
      rollbackOnFailure: true,
      binding: 'b1',
      failure: 'The sync failed',
      rollbackApplication: 'infrastructure',
      rollbackRevision: REV_OLD,
      rollbackBaseline: '["Failed","s","f","r","",4]',
      rollbackAttempts: 2,
    });
    expect(stageOf(data, 'infrastructure')).toEqual({
      baseline: '["Succeeded","s","f","r","",4]',
      rollbackId: 3,
      rollbackRevision: REV_OLD,
      method: 'operation',
    });
    expect(stageOf(data, 'forwarder')).toEqual({
      baseline: undefined,
      rollbackId: undefined,
      rollbackRevision: undefined,
      method: undefined,
    });
    expect(targetOf(data, 'forwarder')).toEqual({
      cluster: 'sandbox',
      namespace: 'openshift-gitops',
      name: 'acme-stage-logging-forwarder',
    });
  });

  it('reads a field of the wrong type as missing', () => {
    const data = readRunData(
      storedRun({
        cluster: 'sandbox',
        argocdNamespace: 'openshift-gitops',
        infrastructureApp: 'i',
        forwarderApp: 'f',
        rollbackOnFailure: 'yes',
        forwarderRollbackId: '3',
        rollbackApplication: 'database',
        tier: 'gold',
      }),
    );
    expect(data.rollbackOnFailure).toBe(false);
    expect(stageOf(data, 'forwarder').rollbackId).toBeUndefined();
    expect(data.rollbackApplication).toBeUndefined();
    expect(data.tier).toBeUndefined();
  });

  it('writes a stage under the stored keys, keeping keys it does not know, and only what was given', () => {
    const run = storedRun({ cluster: 'sandbox', somethingElse: 1 });
    const patch = stagePatch('forwarder', { baseline: '', rollbackId: 0 });
    expect(patch).toEqual({ forwarderBaseline: '', forwarderRollbackId: 0 });
    expect(withRunData(run, patch)).toEqual({
      cluster: 'sandbox',
      somethingElse: 1,
      forwarderBaseline: '',
      forwarderRollbackId: 0,
    });
    const data = readRunData(storedRun(withRunData(run, patch)));
    expect(changes(data, patch)).toBe(false);
    expect(changes(data, { forwarderRollbackId: 1 })).toBe(true);
  });

  it('persists only the keys runs were stored with before, through a sync, its failure and a rollback', async () => {
    const t = await setup('staging');
    t.argocd.put(
      application('infrastructure', {
        env: 'acme-prod',
        phase: 'Succeeded',
        history: [
          { id: 3, revision: REV_OLD },
          { id: 4, revision: REV_NEW },
        ],
      }),
    );
    t.argocd.outcomes.set(t.infrastructure, 'fail');
    await t.service.request(t.env, ALICE, {});
    for (let i = 0; i < 10; i++) {
      await t.service.tick();
      if (t.argocd.callsOf('rollback').length > 0) {
        t.argocd.outcomes.set(t.infrastructure, 'succeed');
      }
      t.argocd.reconcile();
    }
    const stored = await t.store.latestSyncRun(t.env.entityRef);
    expect(stored?.message).toMatch(/^rolled back to 1111111 after: /);
    const keys = Object.keys(stored!.data!);
    expect(STORED_KEYS).toEqual(expect.arrayContaining(keys));
    expect(keys.sort()).toEqual(
      [
        'argocdNamespace',
        'binding',
        'cluster',
        'failure',
        'forwarderApp',
        'infrastructureApp',
        'infrastructureBaseline',
        'infrastructureFollowed',
        'infrastructureMethod',
        'infrastructureRollbackId',
        'infrastructureRollbackRevision',
        'rollbackApplication',
        'rollbackBaseline',
        'rollbackOnFailure',
        'rollbackRevision',
        'tier',
      ].sort(),
    );
  });
});
