/**
 * A bootstrap request, judged through DefaultEnvironmentRecordService.claim:
 * every bad field named at once, and a re-run that cannot change the record.
 */
import { ConflictError, InputError } from '@backstage/errors';
import {
  admin,
  request,
  requester,
  setup,
  teammate,
  viewer,
} from './__testUtils__/recordServiceFixtures';

describe('a bootstrap request', () => {
  it('names every bad field at once', async () => {
    const { service } = await setup();
    const attempt = service.claim(
      {
        ...request,
        name: 'Acme',
        tier: 'qa',
        cluster: 'nowhere',
        owner: 'user:default/bob',
        region: 'mars',
        bucket: 'a.b',
      },
      requester,
    );
    await expect(attempt).rejects.toThrow(InputError);
    const message = await attempt.catch(e => e.message);
    for (const field of [
      'name: must be a DNS-1123 label',
      'tier: must be one of development, staging, production',
      'cluster: must be a configured cluster (prod-1, prod-2)',
      'owner: "user:default/bob" is a user, not a Group',
      'region: ',
      'bucketName: ',
    ]) {
      expect(message).toContain(field);
    }
  });

  it('lets the requester, the owner group and administrators re-run, never changing what the record holds', async () => {
    const { service } = await setup();
    await service.claim(request, requester);
    for (const caller of [requester, teammate, admin]) {
      expect((await service.claim(request, caller)).created).toBe(false);
    }
    await expect(service.claim(request, viewer)).rejects.toThrow(
      'only the requester of acme-prod (user:default/requester), members of its owner group (group:default/platform-team) or an administrator may run its bootstrap',
    );
    const changed = service.claim(
      {
        ...request,
        tier: 'development',
        cluster: 'prod-2',
        region: 'eu-west-1',
        bucket: 'cheaper-loki',
      },
      requester,
    );
    await expect(changed).rejects.toThrow(ConflictError);
    const message = await changed.catch(e => e.message);
    expect(message).toContain(
      'tier: acme-prod is a production environment; a downgrade from production to development is refused (only an administrator can change a tier)',
    );
    expect(message).toContain('cluster: acme-prod runs on cluster "prod-1"');
    expect(message).toContain('region: acme-prod keeps its data in us-east-2');
    expect(message).toContain(
      'bucketName: acme-prod keeps its logs in the bucket "acme-prod-loki"',
    );
  });
});
