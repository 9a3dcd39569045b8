/**
 * Test helpers for the simulated operators: a store with the served types
 * and the sandbox's namespaces, a real moto_server, a controller context on
 * the `fast` profile, AWS admin clients, and polling.
 */
import {
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreatePolicyCommand,
  CreateUserCommand,
  IAMClient,
  PutUserPolicyCommand,
} from '@aws-sdk/client-iam';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { MotoServer, startMoto } from '../../aws/moto';
import { FaultInjector } from '../../faults';
import { BUILTIN_TYPES, INITIAL_NAMESPACES } from '../../kube/builtins';
import { loadCrdTypes } from '../../kube/crds';
import { MemoryObjectStore } from '../../kube/store';
import { KubeObject } from '../../kube/types';
import { PROFILES, SandboxProfile } from '../../profile';
import { AwsCredentials, PolicyDocument } from '../awsAccess';
import { ControllerContext } from '../types';

/** The admin credentials test contexts use (moto accepts any). */
export const TEST_ADMIN: AwsCredentials = {
  accessKeyId: 'sandbox-admin-key-for-tests-only',
  secretAccessKey: 'sandbox-admin-secret-for-tests-only',
};

/** A store serving the built-in kinds and the CRDs, with namespaces. */
export function newTestStore(extraNamespaces: string[] = []) {
  const store = new MemoryObjectStore([...BUILTIN_TYPES, ...loadCrdTypes()]);
  for (const name of [...INITIAL_NAMESPACES, ...extraNamespaces]) {
    store.create({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name, labels: { 'kubernetes.io/metadata.name': name } },
    });
  }
  return store;
}

/** A controller context on the fast profile; `logs` collects log lines. */
export function testContext(
  store: MemoryObjectStore,
  awsUrl = 'http://127.0.0.1:9',
  profile: Partial<SandboxProfile> = {},
): ControllerContext & { logs: string[] } {
  const logs: string[] = [];
  return {
    store,
    profile: { ...PROFILES.fast, ...profile },
    aws: {
      url: awsUrl,
      region: 'us-east-1',
      adminAccessKeyId: TEST_ADMIN.accessKeyId,
      adminSecretAccessKey: TEST_ADMIN.secretAccessKey,
    },
    faults: new FaultInjector(),
    log: line => logs.push(line),
    logs,
  };
}

/** Starts a moto_server for a test file (stop it in afterAll). */
export function startTestMoto(): Promise<MotoServer> {
  return startMoto({ startTimeoutMs: 30_000 });
}

/** Admin SDK clients against a moto URL. */
export function adminClients(url: string) {
  const config = {
    endpoint: url,
    region: 'us-east-1',
    credentials: TEST_ADMIN,
    forcePathStyle: true,
  };
  return {
    iam: new IAMClient(config),
    s3: new S3Client(config),
    sm: new SecretsManagerClient(config),
  };
}

/**
 * Creates an IAM user with an access key and, optionally, an inline policy
 * and a managed policy; returns the key.
 */
export async function createIamUser(
  iam: IAMClient,
  userName: string,
  policies: { inline?: PolicyDocument; managed?: PolicyDocument } = {},
): Promise<AwsCredentials> {
  await iam.send(new CreateUserCommand({ UserName: userName }));
  if (policies.inline) {
    await iam.send(
      new PutUserPolicyCommand({
        UserName: userName,
        PolicyName: `${userName}-inline`,
        PolicyDocument: JSON.stringify(policies.inline),
      }),
    );
  }
  if (policies.managed) {
    const created = await iam.send(
      new CreatePolicyCommand({
        PolicyName: `${userName}-managed`,
        PolicyDocument: JSON.stringify(policies.managed),
      }),
    );
    await iam.send(
      new AttachUserPolicyCommand({
        UserName: userName,
        PolicyArn: created.Policy!.Arn,
      }),
    );
  }
  const key = await iam.send(
    new CreateAccessKeyCommand({ UserName: userName }),
  );
  return {
    accessKeyId: key.AccessKey!.AccessKeyId!,
    secretAccessKey: key.AccessKey!.SecretAccessKey!,
  };
}

/** A core/v1 Secret with string data (stored base64 as the API would). */
export function secretObject(
  namespace: string,
  name: string,
  data: Record<string, string>,
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace },
    type: 'Opaque',
    data: Object.fromEntries(
      Object.entries(data).map(([k, v]) => [
        k,
        Buffer.from(v, 'utf8').toString('base64'),
      ]),
    ),
  };
}

/**
 * Polls until `check` returns a value other than undefined/false (or stops
 * throwing), and returns it; fails with the last error after `timeoutMs`.
 */
export async function waitFor<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  { timeoutMs = 8_000, intervalMs = 20, what = 'condition' } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value as T;
      lastError = undefined;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > deadline) {
      if (lastError instanceof Error) throw lastError;
      throw new Error(`timed out waiting for ${what}`);
    }
    await new Promise(r => setTimeout(r, intervalMs));
  }
}

/** The condition of a type in an object's status.conditions. */
export function conditionOf(o: KubeObject | undefined, type: string) {
  const list = (o?.status as { conditions?: Array<Record<string, unknown>> })
    ?.conditions;
  return list?.find(c => c.type === type);
}

/** Asserts that no log line contains one of the given secret values. */
export function findLeaks(lines: string[], secrets: string[]): string[] {
  return lines.filter(line => secrets.some(s => s && line.includes(s)));
}
