/**
 * The Argo CD objects on a cluster, through DefaultEnvironmentRecordService:
 * Applications bound only as the template renders them, and a cluster that
 * runs an environment without a record left to an administrator.
 */
import {
  admin,
  registered,
  request,
  requester,
  setup,
} from './__testUtils__/recordServiceFixtures';

describe('Argo CD objects on the cluster', () => {
  it('leaves a cluster running an environment without a record to an administrator to adopt', async () => {
    const { service, clusters } = await setup();
    clusters['prod-1'].push(...registered('legacy'));
    await expect(service.claim(request, requester)).rejects.toThrow(
      'cluster: "prod-1" already runs the logging environment legacy, which has no record; an administrator must adopt it before anyone bootstraps there',
    );
    const adopted = await service.claim(
      {
        ...request,
        name: 'legacy',
        bucket: 'legacy-loki',
        requester: 'user:default/original',
      },
      admin,
    );
    expect(adopted.record.requester).toBe('user:default/original');
  });

  it('reads them from the cluster, checks them and keeps their uids', async () => {
    const { service, clusters, store } = await setup();
    await service.claim(request, requester);
    const ref = 'resource:default/acme-prod';
    await expect(service.bindApplications(ref, requester)).rejects.toThrow(
      'AppProject openshift-gitops/acme-prod-logging is not registered',
    );
    const objects = registered('acme-prod');
    objects[2].spec.source.path = 'environments/evil/forwarder';
    clusters['prod-1'].push(...objects);
    await expect(service.bindApplications(ref, requester)).rejects.toThrow(
      'Application openshift-gitops/acme-prod-logging-forwarder: spec.source.path must be "environments/acme-prod/forwarder"',
    );
    objects[2].spec.source.path = 'environments/acme-prod/forwarder';
    const bound = await service.bindApplications(ref, requester);
    expect(bound.state).toBe('registered');
    expect(bound.applications.infrastructure.uid).toBe(
      'acme-prod-uid-acme-prod-logging-infrastructure',
    );
    expect((await store.listHistory(ref))[0].message).toBe(
      'Argo CD Applications acme-prod-logging-infrastructure and acme-prod-logging-forwarder registered and bound to the record',
    );
    // A re-created Application is an administrator's to bind again.
    objects[1].metadata.uid = 'someone-else';
    await expect(service.bindApplications(ref, requester)).rejects.toThrow(
      'Application acme-prod-logging-infrastructure was re-created since the bootstrap bound it (its uid changed); only an administrator may bind the new one',
    );
    const rebound = await service.bindApplications(ref, admin);
    expect(rebound.applications.infrastructure.uid).toBe('someone-else');
  });
});
