import { mockCredentials } from '@backstage/backend-test-utils';
import { Sandbox, startSandbox } from '@internal/sandbox';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  MotoClients,
  awsConfig,
  kubeReader,
  motoClients,
  readAws,
} from './__testUtils__/bootstrap';
import { recordReliability } from '../reliability/__testUtils__/summary';
import { startKillableProcess } from '../__testUtils__/killableProcess';

/** The claim, the AWS bootstrap steps and the cluster credentials, as the template runs them. */
const template = {
  apiVersion: 'scaffolder.backstage.io/v1beta3',
  kind: 'Template',
  metadata: { name: 'aws-bootstrap', namespace: 'default' },
  spec: {
    owner: 'group:default/platform-team',
    type: 'logging-environment',
    // As templates/logging-environment declares it.
    EXPERIMENTAL_recovery: { EXPERIMENTAL_strategy: 'startOver' },
    parameters: [
      {
        required: ['name', 'region'],
        properties: {
          name: { type: 'string' },
          region: { type: 'string' },
        },
      },
    ],
    steps: [
      {
        id: 'claim',
        name: 'Claim the environment',
        action: 'logging:environment:claim',
        input: {
          name: '${{ parameters.name }}',
          tier: 'production',
          cluster: 'sandbox',
          owner: 'group:default/platform-team',
          region: '${{ parameters.region }}',
          bucketName: '${{ parameters.name }}-loki',
        },
      },
      {
        id: 'bucket',
        name: 'S3 bucket for Loki',
        action: 'logging:bucket:ensure',
        input: {
          environment: '${{ parameters.name }}',
          bucket: '${{ parameters.name }}-loki',
          region: '${{ parameters.region }}',
        },
      },
      {
        id: 'iam',
        name: 'IAM for Loki, key into Secrets Manager',
        action: 'logging:iam:ensure',
        input: {
          environment: '${{ parameters.name }}',
          bucket: '${{ parameters.name }}-loki',
          region: '${{ parameters.region }}',
        },
      },
      {
        id: 'secret',
        name: 'Loki S3 secret in Secrets Manager',
        action: 'logging:secret:ensure',
        input: {
          environment: '${{ parameters.name }}',
          bucket: '${{ parameters.name }}-loki',
          region: '${{ parameters.region }}',
        },
      },
      {
        id: 'credentials',
        name: 'Cluster credentials',
        action: 'logging:cluster-credentials:apply',
        input: { environment: '${{ parameters.name }}', cluster: 'sandbox' },
      },
    ],
  },
};

/** Polls until `check` holds (or fails after `ms`). */
async function until(check: () => boolean, ms = 30_000) {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not reached in ${ms} ms`);
    await new Promise(r => setTimeout(r, 50));
  }
}

/** A backend in a child process (see backendProcess.ts). */
function startBackendProcess(configFile: string) {
  return startKillableProcess(
    join(__dirname, '__testUtils__/backendProcess.ts'),
    configFile,
  );
}
type BackendProcess = { url: string };

describe('a scaffolder task across a backend process crash', () => {
  jest.setTimeout(90_000);
  let sandbox: Sandbox;
  let moto: MotoClients;
  let configFile: string;
  let dir: string;
  const processes: Array<ReturnType<typeof startBackendProcess>> = [];

  beforeAll(async () => {
    sandbox = await startSandbox({ profile: 'fast' });
    moto = motoClients(sandbox);
    dir = mkdtempSync(join(tmpdir(), 'recovery-'));
    await sandbox.writeFiles(dir);
    const aws = awsConfig(sandbox);
    const config = {
      ...aws,
      backend: {
        baseUrl: 'http://localhost:7007',
        // On disk, so the task outlives the process.
        database: {
          client: 'better-sqlite3',
          connection: { directory: join(dir, 'db') },
        },
      },
      scaffolder: {
        taskRecovery: { enabled: true, staleTimeout: { seconds: 2 } },
      },
      loggingEnvironments: {
        ...aws.loggingEnvironments,
        gitops: { repoUrl: sandbox.git.url, branch: 'main' },
        clusters: [{ name: 'sandbox', kubeconfig: join(dir, 'kubeconfig') }],
      },
    };
    configFile = join(dir, 'backend.json');
    const description = { config, entities: [template] };
    writeFileSync(configFile, JSON.stringify(description), { mode: 0o600 });
  }, 60_000);
  afterAll(async () => {
    await Promise.all(processes.map(p => p.kill()));
    moto?.destroy();
    await sandbox?.stop();
    // The kubeconfig, the credentials and the task database.
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const startBackend = async () => {
    const backend = startBackendProcess(configFile);
    processes.push(backend);
    return { url: await backend.ready, kill: backend.kill };
  };
  const authorization = mockCredentials.user.header('user:default/requester');
  const api = async (backend: BackendProcess, path: string, init?: any) => {
    const res = await fetch(`${backend.url}/api/scaffolder/v2${path}`, {
      ...init,
      headers: { authorization, 'content-type': 'application/json' },
    });
    const body = await res.json();
    if (!res.ok) {
      throw new Error(`${path}: ${res.status} ${JSON.stringify(body)}`);
    }
    return body;
  };

  /** Reads the task's events until one matches (or the task ends first). */
  async function waitForEvent(
    backend: BackendProcess,
    taskId: string,
    predicate: (event: any) => boolean,
  ) {
    let after: number | undefined;
    for (;;) {
      const events = await api(
        backend,
        `/tasks/${taskId}/events${
          after !== undefined ? `?after=${after}` : ''
        }`,
      );
      for (const event of events) {
        after = event.id;
        if (predicate(event)) return event;
        if (event.type === 'completion') {
          throw new Error(`task ended first: ${JSON.stringify(event.body)}`);
        }
      }
      await new Promise(r => setTimeout(r, 100));
    }
  }

  it('resumes a task killed in the middle of the IAM step without a second access key or secret version', async () => {
    const started = Date.now();
    // The IAM step's last call (recording the issued key on the user, after
    // the key went into Secrets Manager) hangs: the process dies during it.
    sandbox.faults.add({
      target: 'aws',
      match: 'iam:TagUser',
      action: { type: 'latency', ms: 30_000 },
      times: 1,
    });
    const first = await startBackend();
    const { id: taskId } = await api(first, '/tasks', {
      method: 'POST',
      body: JSON.stringify({
        templateRef: 'template:default/aws-bootstrap',
        values: { name: 'acme-prod', region: sandbox.aws.region },
        secrets: {
          awsAccessKeyId: sandbox.aws.accessKeyId,
          awsSecretAccessKey: sandbox.aws.secretAccessKey,
        },
      }),
    });
    await until(() =>
      sandbox.faults.history().some(hit => hit.operation === 'iam:TagUser'),
    );
    await first.kill();
    const before = [...sandbox.faults.calls.aws];
    const kubeBefore = sandbox.faults.calls.kube.length;
    // The bucket step completed; the IAM step had issued and stored the key.
    expect(before.filter(c => c === 'iam:CreateAccessKey')).toHaveLength(1);
    expect(
      before.filter(c => c === 'secretsmanager:CreateSecret'),
    ).toHaveLength(1);
    const atCrash = await readAws(moto, 'acme-prod');
    expect(atCrash.user!.accessKeyIds).toHaveLength(1);
    expect(
      atCrash.user!.tags['logging-environments.io/access-key-issued'],
    ).toBeUndefined();
    expect(atCrash.secret!.versionIds).toHaveLength(1);
    expect(atCrash.secret!.value.access_key_id).toBe(
      atCrash.user!.accessKeyIds[0],
    );

    // A new process on the same database finds the task stale and recovers
    // it: the completed bucket step is skipped, the interrupted IAM step
    // (no checkpoint saved) runs again and finds the key it stored.
    const restarted = Date.now();
    const second = await startBackend();
    await waitForEvent(second, taskId, e => e.type === 'recovered');
    const completion = await waitForEvent(
      second,
      taskId,
      e => e.type === 'completion',
    );
    const task = await api(second, `/tasks/${taskId}`);
    expect([task.status, completion.body.message]).toEqual([
      'completed',
      'Run completed with status: completed',
    ]);

    const after = sandbox.faults.calls.aws.slice(before.length);
    // Nothing done twice: no S3 call (the bucket step was not redone), no
    // new key, no secret write; only the missing record of the key.
    expect(after.filter(c => c.startsWith('s3:'))).toEqual([]);
    expect(
      after.filter(c =>
        /^(iam:(CreateUser|CreateAccessKey|DeleteAccessKey|PutUserPolicy|TagUser)|secretsmanager:(CreateSecret|PutSecretValue|TagResource))$/.test(
          c,
        ),
      ),
    ).toEqual(['iam:TagUser']);
    expect(sandbox.faults.calls.kube.slice(kubeBefore)).toContain(
      'patch:secrets',
    );

    const state = await readAws(moto, 'acme-prod');
    expect(state.bucketNames).toEqual(['acme-prod-loki']);
    expect(state.userNames).toEqual(['loki-acme-prod']);
    expect(state.user!.accessKeyIds).toEqual(atCrash.user!.accessKeyIds);
    expect(state.user!.tags['logging-environments.io/access-key-issued']).toBe(
      state.user!.accessKeyIds[0],
    );
    expect(state.secretNames).toEqual(['logging/acme-prod/loki-s3']);
    expect(state.secret!.versionIds).toEqual(atCrash.secret!.versionIds);
    expect(state.secret!.value.access_key_id).toBe(state.user!.accessKeyIds[0]);
    const credentials = await kubeReader(sandbox)(
      'v1',
      'Secret',
      'aws-credentials',
      'external-secrets-system',
    );
    expect(
      Buffer.from(
        (credentials as any).data['access-key-id'],
        'base64',
      ).toString(),
    ).toBe(sandbox.aws.accessKeyId);

    // Nothing secret in what the task showed.
    const events = await api(second, `/tasks/${taskId}/events`);
    const shown = JSON.stringify(events);
    expect(shown).toContain('IAM user');
    expect(shown).not.toContain(state.secret!.value.access_key_secret);
    expect(shown).not.toContain(sandbox.aws.secretAccessKey);
    recordReliability('restarts survived', 1, 'backend killed mid-bootstrap');

    // eslint-disable-next-line no-console
    console.log(
      `crash: killed during iam:TagUser after ${
        before.length
      } AWS calls; recovered and completed ${(
        (Date.now() - restarted) /
        1000
      ).toFixed(1)} s after the restart (${(
        (Date.now() - started) /
        1000
      ).toFixed(1)} s in all); AWS calls after the restart: ${after.join(
        ', ',
      )}; found ${state.bucketNames.length} bucket, ${
        state.userNames.length
      } user, ${state.user!.accessKeyIds.length} access key, ${
        state.secretNames.length
      } secret with ${state.secret!.versionIds.length} version`,
    );
  });
});
