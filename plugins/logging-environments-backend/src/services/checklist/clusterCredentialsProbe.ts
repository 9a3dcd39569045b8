import { CLUSTER_CREDENTIALS } from '@internal/plugin-logging-environments-node';
import { Obj } from './clusterProbeHelpers';
import { ChecklistProbe, ProbeResult } from './types';

/**
 * `cluster-credentials`: the `aws-credentials` Secret External Secrets
 * authenticates with exists in `external-secrets-system` with both keys,
 * non-empty. Only the presence of the keys is reported, never a value.
 *
 * @public
 */
export const clusterCredentialsProbe: ChecklistProbe = {
  id: 'cluster-credentials',
  title: 'Cluster credentials for External Secrets',
  target: 'cluster',
  async run({ cluster, secret }) {
    const { namespace, name, accessKeyIdKey, secretAccessKeyKey } =
      CLUSTER_CREDENTIALS;
    const found = await cluster().get<
      Obj & { apiVersion: string; kind: string }
    >({ apiVersion: 'v1', kind: 'Secret', name, namespace });
    const evidence: ProbeResult['evidence'] = {
      secret: `${namespace}/${name}`,
    };
    if (!found) {
      return {
        status: 'fail',
        message: `Secret ${namespace}/${name} does not exist: External Secrets cannot authenticate to AWS`,
        evidence,
      };
    }
    const data = found.data ?? {};
    for (const value of Object.values(data)) {
      secret(value);
      secret(Buffer.from(value, 'base64').toString('utf8'));
    }
    const presence = (key: string) => {
      if (!(key in data)) return 'missing';
      return Buffer.from(data[key], 'base64').toString('utf8').trim()
        ? 'present'
        : 'empty';
    };
    evidence.type = found.type ?? '(none)';
    evidence[accessKeyIdKey] = presence(accessKeyIdKey);
    evidence[secretAccessKeyKey] = presence(secretAccessKeyKey);
    const bad = [accessKeyIdKey, secretAccessKeyKey].filter(
      k => evidence[k] !== 'present',
    );
    if (bad.length) {
      return {
        status: 'fail',
        message: `Secret ${namespace}/${name}: ${bad
          .map(k => `key ${k} is ${evidence[k]}`)
          .join('; ')}`,
        evidence,
      };
    }
    return {
      status: 'pass',
      message: `Secret ${namespace}/${name} holds both keys (values not shown)`,
      evidence,
    };
  },
};
