/**
 * DefaultEnvironmentRecordService: claiming a new environment and an
 * administrator's changes. The rules it applies are tested beside their
 * modules (bootstrapRequest, approverGroups, bootstrapSteps,
 * argoApplications).
 */
import { NotAllowedError } from '@backstage/errors';
import {
  admin,
  request,
  requester,
  setup,
  viewer,
} from './__testUtils__/recordServiceFixtures';

describe('DefaultEnvironmentRecordService', () => {
  describe('claim', () => {
    it('records a new environment with the caller as its requester, and a history entry', async () => {
      const { service, store, changes } = await setup();
      const { record, created } = await service.claim(request, requester);
      expect(created).toBe(true);
      expect(record).toMatchObject({
        entityRef: 'resource:default/acme-prod',
        tier: 'production',
        cluster: 'prod-1',
        owner: 'group:default/platform-team',
        requester: 'user:default/requester',
        project: 'acme-prod-logging',
        secret: 'logging/acme-prod/loki-s3',
        state: 'bootstrapping',
      });
      expect(
        (await store.listHistory(record.entityRef)).map(e => e.message),
      ).toEqual([
        'Claimed as a production environment on cluster prod-1, owned by group:default/platform-team, requested by user:default/requester',
      ]);
      expect(changes).toEqual(['resource:default/acme-prod:record']);
    });

    it('writes nothing in a dry run', async () => {
      const { service, records, changes } = await setup();
      const { created } = await service.claim(request, requester, {
        dryRun: true,
      });
      expect(created).toBe(true);
      expect(await records.list()).toEqual([]);
      expect(changes).toEqual([]);
    });

    it('creates only with the create permission, for a group the caller belongs to', async () => {
      const { service } = await setup();
      await expect(
        service.claim(request, { ...requester, mayCreate: false }),
      ).rejects.toThrow(
        'you may not create logging environments (the permission logging.environment.create is not granted to you)',
      );
      await expect(service.claim(request, viewer)).rejects.toThrow(
        'owner: you are not a member of group:default/platform-team; an environment can be created only for a group you belong to',
      );
      await expect(
        service.claim(
          { ...request, requester: 'user:default/ghost' },
          requester,
        ),
      ).rejects.toThrow(NotAllowedError);
    });

    it('keeps one environment per cluster and per bucket', async () => {
      const { service } = await setup();
      await service.claim(request, requester);
      await expect(
        service.claim(
          { ...request, name: 'other', bucket: 'other-loki' },
          requester,
        ),
      ).rejects.toThrow(
        'cluster: "prod-1" already has the logging environment acme-prod (one environment per cluster)',
      );
      await expect(
        service.claim(
          { ...request, name: 'other', cluster: 'prod-2' },
          requester,
        ),
      ).rejects.toThrow(
        'bucket: "acme-prod-loki" is already the bucket of the logging environment acme-prod',
      );
    });
  });

  describe('administration', () => {
    it("is administrators' only, needs a reason, and is a history entry", async () => {
      const { service, store } = await setup();
      await service.claim(request, requester);
      const ref = 'resource:default/acme-prod';
      await expect(
        service.administer(ref, requester, {
          tier: 'development',
          reason: 'x',
        }),
      ).rejects.toThrow(NotAllowedError);
      await expect(
        service.administer(
          ref,
          { ...admin, mayAdminister: false },
          {
            tier: 'development',
            reason: 'x',
          },
        ),
      ).rejects.toThrow(NotAllowedError);
      await expect(
        service.administer(ref, admin, { tier: 'development', reason: ' ' }),
      ).rejects.toThrow('reason: say why the record changes');
      await expect(
        service.administer(ref, admin, { tier: 'qa', reason: 'test' }),
      ).rejects.toThrow(
        'tier: must be one of development, staging, production',
      );
      const changed = await service.administer(ref, admin, {
        tier: 'staging',
        requester: 'user:default/teammate',
        reason: 'moved to the staging cluster plan',
      });
      expect(changed).toMatchObject({
        tier: 'staging',
        requester: 'user:default/teammate',
        updatedBy: 'user:default/admin',
      });
      expect((await store.listHistory(ref))[0].message).toBe(
        'Record changed by an administrator: tier production -> staging; requester user:default/requester -> user:default/teammate. Reason: moved to the staging cluster plan',
      );
      await expect(service.release(ref, requester, 'gone')).rejects.toThrow(
        NotAllowedError,
      );
      await service.release(ref, admin, 'abandoned claim');
      expect(await service.get(ref)).toBeUndefined();
    });
  });
});
