/**
 * Bootstrap steps, through DefaultEnvironmentRecordService.checkStep: only on
 * what the record holds, and rotations of staging and production left to
 * administrators.
 */
import { NotAllowedError, NotFoundError } from '@backstage/errors';
import {
  admin,
  request,
  requester,
  setup,
  teammate,
  viewer,
} from './__testUtils__/recordServiceFixtures';

describe('a bootstrap step', () => {
  it('acts only on what the record holds, for someone who may run the bootstrap', async () => {
    const { service } = await setup();
    await service.claim(request, requester);
    const ref = 'resource:default/acme-prod';
    await expect(
      service.checkStep(ref, teammate, {
        action: 'logging:iam:ensure',
        facts: { bucket: 'acme-prod-loki', region: 'us-east-2' },
      }),
    ).resolves.toMatchObject({ name: 'acme-prod' });
    await expect(
      service.checkStep(ref, requester, {
        action: 'logging:iam:ensure',
        facts: { bucket: 'someone-elses-loki' },
      }),
    ).rejects.toThrow(
      'logging:iam:ensure refused for acme-prod: bucket: the record of acme-prod says "acme-prod-loki", not "someone-elses-loki"',
    );
    await expect(
      service.checkStep(ref, viewer, { action: 'logging:bucket:ensure' }),
    ).rejects.toThrow(NotAllowedError);
    await expect(
      service.checkStep('resource:default/nobody', requester, {
        action: 'logging:bucket:ensure',
      }),
    ).rejects.toThrow(NotFoundError);
  });

  it("leaves a staging or production environment's rotation to administrators", async () => {
    const { service } = await setup();
    await service.claim(request, requester);
    const rotate = {
      action: 'logging:cluster-credentials:apply',
      rotate: true,
    };
    await expect(
      service.checkStep('resource:default/acme-prod', requester, rotate),
    ).rejects.toThrow(
      'rotate: only an administrator may replace the External Secrets credentials of the production environment acme-prod',
    );
    await expect(
      service.checkStep('resource:default/acme-prod', admin, rotate),
    ).resolves.toBeDefined();
    await service.claim(
      {
        ...request,
        name: 'team-dev',
        tier: 'development',
        cluster: 'prod-2',
        bucket: 'team-dev-loki',
      },
      requester,
    );
    await expect(
      service.checkStep('resource:default/team-dev', requester, rotate),
    ).resolves.toBeDefined();
  });
});
