import {
  CLUSTER_CREDENTIALS,
  storeReadiness,
} from '@internal/plugin-logging-environments-node';
import { Findings, Obj, SECRET_STORE } from './clusterProbeHelpers';
import { ChecklistProbe, ProbeResult } from './types';

/**
 * `secret-store`: the `aws-secrets-manager` ClusterSecretStore is Ready
 * (External Secrets' reason and message when not), reads Secrets Manager
 * in the environment's region, and its `spec.conditions` limit it to
 * exactly the logging namespace, in every tier: anyone who can create a
 * namespace the store serves (a regex, a selector, another name, or no
 * conditions at all) can read whatever its credentials can, so anything
 * broader fails.
 *
 * @public
 */
export const secretStoreProbe: ChecklistProbe = {
  id: 'secret-store',
  title: 'ClusterSecretStore',
  target: 'cluster',
  async run({ environment, cluster }) {
    const store = await cluster().get<
      Obj & { apiVersion: string; kind: string }
    >(SECRET_STORE);
    const evidence: ProbeResult['evidence'] = { store: SECRET_STORE.name };
    if (!store) {
      return {
        status: 'fail',
        message: `ClusterSecretStore ${SECRET_STORE.name} does not exist`,
        evidence,
      };
    }
    const readiness = storeReadiness(store as any);
    const aws = store.spec?.provider?.aws ?? {};
    const ref = aws.auth?.secretRef?.accessKeyIDSecretRef;
    const conditions: Array<{
      namespaces?: string[];
      namespaceRegexes?: string[];
      namespaceSelector?: unknown;
    }> = store.spec?.conditions ?? [];
    Object.assign(evidence, {
      ready: readiness.ready,
      ...(readiness.reason ? { reason: readiness.reason } : {}),
      service: aws.service ?? '(none)',
      region: aws.region ?? '(none)',
      credentials: ref
        ? `${ref.namespace ?? '?'}/${ref.name ?? '?'}`
        : '(none)',
      namespaces:
        conditions.flatMap(c => c.namespaces ?? []).join(', ') || '(any)',
    });
    const regexes = conditions.flatMap(c => c.namespaceRegexes ?? []);
    if (regexes.length) evidence.namespaceRegexes = regexes.join(', ');

    const findings = new Findings();
    if (!readiness.ready) {
      const detail =
        readiness.reason || readiness.message
          ? `${readiness.reason ?? 'NotReady'}: ${
              readiness.message ?? ''
            }`.trim()
          : 'External Secrets has not reported its status (is the operator running?)';
      findings.add('fail', `not Ready (${detail})`);
    }
    if (aws.service !== 'SecretsManager') {
      findings.add(
        'fail',
        `reads ${aws.service ?? 'no AWS service'}, not SecretsManager`,
      );
    }
    if (environment.region && aws.region !== environment.region) {
      findings.add(
        'fail',
        `reads region ${
          aws.region ?? '(none)'
        }, but the environment's secret is in ${environment.region}`,
      );
    }
    if (
      ref &&
      (ref.namespace !== CLUSTER_CREDENTIALS.namespace ||
        ref.name !== CLUSTER_CREDENTIALS.name)
    ) {
      findings.add(
        'warn',
        `authenticates with Secret ${ref.namespace}/${ref.name}, not ${CLUSTER_CREDENTIALS.namespace}/${CLUSTER_CREDENTIALS.name}`,
      );
    }
    if (conditions.length === 0) {
      findings.add(
        'fail',
        `has no spec.conditions: every namespace may read Secrets Manager through it (the bootstrap limits it to ${environment.namespace})`,
      );
    } else {
      const broader: string[] = [];
      for (const c of conditions) {
        for (const ns of c.namespaces ?? []) {
          if (ns !== environment.namespace) broader.push(`namespace ${ns}`);
        }
        for (const re of c.namespaceRegexes ?? []) {
          broader.push(`namespaces matching ${re}`);
        }
        if (c.namespaceSelector) broader.push('a namespaceSelector');
      }
      const serves = conditions.some(c =>
        (c.namespaces ?? []).includes(environment.namespace),
      );
      if (broader.length) {
        findings.add(
          'fail',
          `may be used beyond ${
            environment.namespace
          }, by whoever can create such a namespace: ${broader.join(', ')}`,
        );
      } else if (!serves) {
        findings.add(
          'fail',
          `does not serve ${environment.namespace} (its spec.conditions name no namespace)`,
        );
      }
    }
    return findings.result(
      evidence,
      `ClusterSecretStore ${SECRET_STORE.name} is Ready, reads Secrets Manager in ${aws.region} and serves only ${environment.namespace}`,
      `ClusterSecretStore ${SECRET_STORE.name}: `,
    );
  },
};
