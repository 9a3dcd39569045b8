import {
  ArgoCdHealthChecksState,
  HealthCheckMatch,
  inspectArgoCdHealthChecks,
} from '@internal/plugin-logging-environments-node';
import { ChecklistProbe, ProbeResult } from './types';

const DESCRIBE: Record<HealthCheckMatch, string> = {
  same: 'the shipped script',
  different: 'another script',
  missing: 'missing',
};

type CheckState = ArgoCdHealthChecksState['checks'][number];

const nameOf = (c: CheckState) => (c.group ? `${c.group}/${c.kind}` : c.kind);

/** What is wrong with one check on OpenShift GitOps, if anything. */
function gitopsProblem(c: CheckState, holder: string): string | undefined {
  if (c.inExtraConfig === 'different') {
    return `${nameOf(c)}: spec.extraConfig of ${holder} sets ${
      c.key
    } to another script, which overrides spec.resourceHealthChecks`;
  }
  if (c.inResource !== 'same' && c.inExtraConfig !== 'same') {
    return c.inResource === 'missing'
      ? `${nameOf(c)}: no entry in spec.resourceHealthChecks of ${holder}`
      : `${nameOf(
          c,
        )}: its entry in spec.resourceHealthChecks of ${holder} differs from the shipped script`;
  }
  if (c.inConfigMap !== 'same') {
    return `${nameOf(c)}: ${holder} has it, but argocd-cm ${
      c.inConfigMap === 'missing' ? 'does not' : 'holds another script'
    } (has the OpenShift GitOps operator reconciled ${holder}? is it running?)`;
  }
  return undefined;
}

/**
 * `argocd-health-checks`: the Argo CD of the environment's cluster runs the
 * product's Lua health checks of LokiStack and ClusterLogForwarder, script
 * for script (Argo CD has none built in: without them the forwarder's wave
 * never turns healthy). Upstream Argo CD: the `argocd-cm` keys. OpenShift
 * GitOps: the `ArgoCD` resource's `spec.resourceHealthChecks` entries (not
 * overridden by `spec.extraConfig`) and what the operator rendered from
 * them into `argocd-cm`. A missing or different check fails, with the fix.
 *
 * @public
 */
export const argoCdHealthChecksProbe: ChecklistProbe = {
  id: 'argocd-health-checks',
  title: 'Argo CD health checks',
  target: 'cluster',
  async run({ environment, cluster, argoCd }) {
    const client = cluster();
    const shipped = await argoCd.healthChecks();
    const state = await inspectArgoCdHealthChecks(client, shipped.checks, {
      namespace: environment.argocdNamespace,
      flavour: argoCd.flavour(),
    });
    const gitops = state.flavour === 'openshift-gitops';
    const holder = gitops
      ? `ArgoCD ${state.namespace}/${state.instance}`
      : `ConfigMap ${state.namespace}/argocd-cm`;
    const evidence: ProbeResult['evidence'] = {
      flavour: state.flavour,
      configuredIn: holder,
    };
    const problems: string[] = [];
    for (const c of state.checks) {
      evidence[`${nameOf(c)} (argocd-cm)`] = DESCRIBE[c.inConfigMap];
      if (gitops) {
        evidence[`${nameOf(c)} (spec.resourceHealthChecks)`] =
          DESCRIBE[c.inResource ?? 'missing'];
        if (c.inExtraConfig) {
          evidence[`${nameOf(c)} (spec.extraConfig)`] =
            DESCRIBE[c.inExtraConfig];
        }
        const problem = gitopsProblem(c, holder);
        if (problem) problems.push(problem);
      } else if (c.inConfigMap !== 'same') {
        problems.push(
          c.inConfigMap === 'missing'
            ? `${nameOf(c)}: ${c.key} is missing from ${holder}${
                state.configMap ? '' : ' (which does not exist)'
              }`
            : `${nameOf(c)}: ${
                c.key
              } in ${holder} differs from the shipped script`,
        );
      }
    }
    const kinds = state.checks.map(c => c.kind).join(' and ');
    if (problems.length === 0) {
      return {
        status: 'pass',
        message: `Argo CD runs the shipped health checks of ${kinds} (${
          gitops ? `from ${holder}` : `in ${holder}`
        })`,
        evidence,
      };
    }
    const fix = gitops
      ? `Fix: re-run the template's "Register with Argo CD" step (logging:argocd:register puts the scripts of manifests/argocd/health into spec.resourceHealthChecks of ${holder}${
          state.checks.some(c => c.inExtraConfig === 'different')
            ? ', after you removed the overriding spec.extraConfig keys'
            : ''
        }), or put them there yourself (manifests/README.md shows how)`
      : `Fix: re-run the template's "Register with Argo CD" step (logging:argocd:register applies them), or run kubectl apply --server-side --field-manager=backstage-logging-environments -k manifests/argocd/health`;
    return {
      status: 'fail',
      message: `Without the shipped health checks of ${kinds}, Argo CD cannot tell whether they are healthy (the forwarder's wave never turns healthy): ${problems.join(
        '; ',
      )}. ${fix}`,
      evidence,
    };
  },
};
