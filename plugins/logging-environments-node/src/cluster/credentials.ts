import { EnsureError } from '../aws/errors';
import { EnsureOptions, EnsureResult, summarize } from '../aws/types';
import { ClusterClient } from './client';
import { kubeStep } from './step';

/**
 * Where the bootstrap credentials External Secrets uses live (ADR-0009).
 *
 * @public
 */
export const CLUSTER_CREDENTIALS = {
  namespace: 'external-secrets-system',
  name: 'aws-credentials',
  accessKeyIdKey: 'access-key-id',
  secretAccessKeyKey: 'secret-access-key',
} as const;

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

/**
 * Applies the `aws-credentials` Secret in `external-secrets-system` (and
 * the namespace) by server-side apply, from credentials given by a person
 * through the template's secret fields. Compares before writing, so a re-run
 * with the same credentials changes nothing; the credentials never appear
 * in the result or in errors. Other credentials already there are replaced
 * only with `rotate` (the identity External Secrets reads Secrets Manager
 * as is not something a re-run changes by the way).
 *
 * @public
 */
export async function ensureClusterCredentials(
  cluster: ClusterClient,
  input: { accessKeyId: string; secretAccessKey: string },
  options: EnsureOptions & { rotate?: boolean } = {},
): Promise<EnsureResult> {
  const { namespace, name, accessKeyIdKey, secretAccessKeyKey } =
    CLUSTER_CREDENTIALS;
  const resource = `Secret ${namespace}/${name}`;
  const done: string[] = [];
  const changes: string[] = [];

  const ns = await kubeStep(resource, 'read namespace', done, () =>
    cluster.get({ apiVersion: 'v1', kind: 'Namespace', name: namespace }),
  );
  if (!ns) {
    changes.push(`create namespace ${namespace}`);
    if (!options.dryRun) {
      await kubeStep(resource, 'apply namespace', done, () =>
        cluster.apply({
          apiVersion: 'v1',
          kind: 'Namespace',
          metadata: { name: namespace },
        }),
      );
      done.push(`created namespace ${namespace}`);
    }
  }

  const existing = ns
    ? await kubeStep(resource, 'read', done, () =>
        cluster.get<{
          apiVersion: string;
          kind: string;
          metadata: any;
          data?: Record<string, string>;
        }>({
          apiVersion: 'v1',
          kind: 'Secret',
          name,
          namespace,
        }),
      )
    : undefined;
  const data = {
    [accessKeyIdKey]: b64(input.accessKeyId),
    [secretAccessKeyKey]: b64(input.secretAccessKey),
  };
  const same =
    existing?.data?.[accessKeyIdKey] === data[accessKeyIdKey] &&
    existing?.data?.[secretAccessKeyKey] === data[secretAccessKeyKey];
  // Another identity already there is replaced only by a rotation; the
  // same key id with a missing or different secret is a repair.
  const present = existing?.data?.[accessKeyIdKey];
  const otherIdentity =
    present !== undefined &&
    Buffer.from(present, 'base64').toString('utf8').trim() !== '' &&
    present !== data[accessKeyIdKey];
  if (otherIdentity && !options.rotate) {
    throw new EnsureError(
      resource,
      'replace the credentials',
      'Conflict',
      done,
      undefined,
      'it already holds the credentials of another access key; replacing them is a rotation and needs the explicit rotation input (rotate: true)',
    );
  }
  if (!same) {
    changes.push(existing ? 'update the credentials' : 'create the Secret');
    if (!options.dryRun) {
      await kubeStep(resource, 'apply', done, () =>
        cluster.apply({
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: {
            name,
            namespace,
            labels: {
              'app.kubernetes.io/managed-by': 'backstage-logging-environments',
            },
          },
          type: 'Opaque',
          data,
        } as any),
      );
    }
  }
  return summarize(resource, Boolean(existing), changes, options.dryRun);
}
