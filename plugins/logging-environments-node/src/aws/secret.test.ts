import {
  CreateSecretCommand,
  GetSecretValueCommand,
  ListSecretVersionIdsCommand,
} from '@aws-sdk/client-secrets-manager';
import { AwsClients } from './clients';
import { ensureLokiSecret } from './secret';
import { startMoto } from '../testUtils';

describe('ensureLokiSecret', () => {
  let moto: Awaited<ReturnType<typeof startMoto>>;
  let clients: AwsClients;

  beforeAll(async () => {
    moto = await startMoto();
    clients = await moto.factory.clients('us-east-2');
  }, 60_000);
  afterAll(() => moto?.stop());
  beforeEach(() => moto.reset());

  const input = {
    name: 'logging/acme-prod/loki-s3',
    environment: 'acme-prod',
    bucket: 'acme-prod-loki',
  };
  const versions = async () =>
    (
      await clients.secretsManager.send(
        new ListSecretVersionIdsCommand({ SecretId: input.name }),
      )
    ).Versions ?? [];
  const value = async () =>
    JSON.parse(
      (
        await clients.secretsManager.send(
          new GetSecretValueCommand({ SecretId: input.name }),
        )
      ).SecretString!,
    );

  it('creates the secret with the keys Loki needs, and keeps the key on updates', async () => {
    await ensureLokiSecret(clients, {
      ...input,
      credentials: { accessKeyId: 'LOKIKEYID', secretAccessKey: 'loki-secret' },
    });
    expect(await value()).toEqual({
      bucketnames: 'acme-prod-loki',
      endpoint: moto.endpoint,
      region: 'us-east-2',
      access_key_id: 'LOKIKEYID',
      access_key_secret: 'loki-secret',
    });
    const result = await ensureLokiSecret(clients, {
      ...input,
      endpoint: 'https://s3.us-east-2.amazonaws.com',
    });
    expect(result.changes).toEqual(['update bucket, region and endpoint']);
    expect(await value()).toMatchObject({
      endpoint: 'https://s3.us-east-2.amazonaws.com',
      access_key_id: 'LOKIKEYID',
      access_key_secret: 'loki-secret',
    });
    expect(await versions()).toHaveLength(2);
    expect(
      (
        await ensureLokiSecret(clients, {
          ...input,
          endpoint: 'https://s3.us-east-2.amazonaws.com',
        })
      ).action,
    ).toBe('unchanged');
    expect(await versions()).toHaveLength(2);
  });

  it('gives Loki the configured storage endpoint rather than the portal endpoint', async () => {
    await ensureLokiSecret(
      { ...clients, storageEndpoint: 'https://127.0.0.1:6500' },
      input,
    );
    expect((await value()).endpoint).toBe('https://127.0.0.1:6500');
  });

  it('creates one version when the same update runs twice at once', async () => {
    await ensureLokiSecret(clients, input);
    // Two runs (a retried task and the original, say) read the same old
    // value and write the same new one: the deterministic client request
    // token makes the second write a no-op instead of a second version.
    const update = { ...input, endpoint: 'https://example.test' };
    const results = await Promise.all([
      ensureLokiSecret(clients, update),
      ensureLokiSecret(clients, update),
    ]);
    // Whether the second read saw the first write decides whether it says
    // "updated" (its write was a no-op) or "unchanged"; either way there is
    // one new version.
    expect(results.map(r => r.action)).toContain('updated');
    for (const r of results) {
      expect(['updated', 'unchanged']).toContain(r.action);
    }
    expect(await versions()).toHaveLength(2);
    expect((await value()).endpoint).toBe('https://example.test');
  });

  it("refuses to overwrite a secret that is not this environment's", async () => {
    await clients.secretsManager.send(
      new CreateSecretCommand({ Name: input.name, SecretString: 'x' }),
    );
    await expect(ensureLokiSecret(clients, input)).rejects.toThrow(
      /adopt failed \(SecretNotOwned\).*Nothing was changed/,
    );
  });
});
