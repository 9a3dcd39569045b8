/**
 * The health-check probe on a stand-in cluster, for both Argo CD flavours
 * (against the sandbox's API server and OpenShift GitOps operator in
 * packages/backend/src/environments/checklist.test.ts and
 * src/bootstrap/argoCdHealthChecks.test.ts).
 */
import {
  ArgoCdHealthChecks,
  argoCdHealthCheckKey,
  argoCdHealthCheckSettings,
} from '@internal/plugin-logging-environments-node';
import { testEnvironment } from '../__testUtils__/environment';
import { probeRun } from './__testUtils__/clusterProbes';
import { argoCdHealthChecksProbe } from './argoCdHealthChecksProbe';

let shipped: ArgoCdHealthChecks;
beforeAll(async () => {
  shipped = await argoCdHealthCheckSettings().healthChecks();
});

const LOKI = 'loki.grafana.com/LokiStack';
const CLF = 'observability.openshift.io/ClusterLogForwarder';
const lokiKey = () => argoCdHealthCheckKey(shipped.checks[0]);
const clfKey = () => argoCdHealthCheckKey(shipped.checks[1]);
/** argocd-cm as the shipped checks render it, with `edit` applied. */
const argocdCm = (edit: (data: Record<string, string>) => void = () => {}) => {
  const data: Record<string, string> = { 'admin.enabled': 'false' };
  for (const c of shipped.checks) data[argoCdHealthCheckKey(c)] = c.check;
  edit(data);
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'argocd-cm', namespace: 'openshift-gitops' },
    data,
  };
};
const argoCd = (spec: Record<string, unknown>) => ({
  apiVersion: 'argoproj.io/v1beta1',
  kind: 'ArgoCD',
  metadata: { name: 'openshift-gitops', namespace: 'openshift-gitops' },
  spec,
});
const entries = () =>
  shipped.checks.map(c => ({ group: c.group, kind: c.kind, check: c.check }));

const run = (objects: any[], flavour?: 'upstream') =>
  probeRun(argoCdHealthChecksProbe, testEnvironment(), objects, { flavour });

describe('argoCdHealthChecksProbe on upstream Argo CD', () => {
  it('passes when argocd-cm holds the shipped scripts', async () => {
    const result = await run([argocdCm()]);
    expect(result).toEqual({
      status: 'pass',
      message:
        'Argo CD runs the shipped health checks of LokiStack and ClusterLogForwarder (in ConfigMap openshift-gitops/argocd-cm)',
      evidence: {
        flavour: 'upstream',
        configuredIn: 'ConfigMap openshift-gitops/argocd-cm',
        [`${LOKI} (argocd-cm)`]: 'the shipped script',
        [`${CLF} (argocd-cm)`]: 'the shipped script',
      },
    });
  });

  it('fails, with the fix, when they are missing', async () => {
    const result = await run([]);
    expect(result.status).toBe('fail');
    expect(result.message).toBe(
      `Without the shipped health checks of LokiStack and ClusterLogForwarder, Argo CD cannot tell whether they are healthy (the forwarder's wave never turns healthy): ${LOKI}: ${lokiKey()} is missing from ConfigMap openshift-gitops/argocd-cm (which does not exist); ${CLF}: ${clfKey()} is missing from ConfigMap openshift-gitops/argocd-cm (which does not exist). Fix: re-run the template's "Register with Argo CD" step (logging:argocd:register applies them), or run kubectl apply --server-side --field-manager=backstage-logging-environments -k manifests/argocd/health`,
    );
    expect(result.evidence?.[`${LOKI} (argocd-cm)`]).toBe('missing');
  });

  it('fails when a script differs from the shipped one', async () => {
    const result = await run([
      argocdCm(data => {
        data[clfKey()] = data[clfKey()].replace('Degraded', 'Healthy');
      }),
    ]);
    expect(result.status).toBe('fail');
    expect(result.message).toContain(
      `${CLF}: ${clfKey()} in ConfigMap openshift-gitops/argocd-cm differs from the shipped script. Fix:`,
    );
    expect(result.message).not.toContain(`${LOKI}:`);
    expect(result.evidence?.[`${CLF} (argocd-cm)`]).toBe('another script');
  });

  it('reads argocd-cm alone when the cluster is configured as upstream', async () => {
    const result = await run([argoCd({}), argocdCm()], 'upstream');
    expect(result.status).toBe('pass');
  });
});

describe('argoCdHealthChecksProbe on OpenShift GitOps', () => {
  it('passes when the ArgoCD resource has the entries and the operator rendered them', async () => {
    const result = await run([
      argoCd({
        resourceHealthChecks: [
          { group: 'example.com', kind: 'Thing', check: 'return {}' },
          ...entries(),
        ],
      }),
      argocdCm(),
    ]);
    expect(result).toMatchObject({
      status: 'pass',
      message:
        'Argo CD runs the shipped health checks of LokiStack and ClusterLogForwarder (from ArgoCD openshift-gitops/openshift-gitops)',
      evidence: {
        flavour: 'openshift-gitops',
        [`${LOKI} (spec.resourceHealthChecks)`]: 'the shipped script',
      },
    });
  });

  it('fails, with the fix, when an entry is missing or differs, even if argocd-cm has it', async () => {
    const [loki] = entries();
    const result = await run([
      argoCd({ resourceHealthChecks: [{ ...loki, check: 'return {}' }] }),
      argocdCm(),
    ]);
    expect(result.status).toBe('fail');
    expect(result.message).toContain(
      `${LOKI}: its entry in spec.resourceHealthChecks of ArgoCD openshift-gitops/openshift-gitops differs from the shipped script; ${CLF}: no entry in spec.resourceHealthChecks of ArgoCD openshift-gitops/openshift-gitops. Fix: re-run the template's "Register with Argo CD" step (logging:argocd:register puts the scripts of manifests/argocd/health into spec.resourceHealthChecks of ArgoCD openshift-gitops/openshift-gitops), or put them there yourself (manifests/README.md shows how)`,
    );
  });

  it('fails when spec.extraConfig overrides an entry', async () => {
    const result = await run([
      argoCd({
        resourceHealthChecks: entries(),
        extraConfig: { [lokiKey()]: 'return {}' },
      }),
      argocdCm(data => {
        data[lokiKey()] = 'return {}';
      }),
    ]);
    expect(result.status).toBe('fail');
    expect(result.message).toContain(
      `${LOKI}: spec.extraConfig of ArgoCD openshift-gitops/openshift-gitops sets ${lokiKey()} to another script, which overrides spec.resourceHealthChecks`,
    );
    expect(result.message).toContain(
      ', after you removed the overriding spec.extraConfig keys',
    );
    expect(result.evidence?.[`${LOKI} (spec.extraConfig)`]).toBe(
      'another script',
    );
  });

  it('fails when the operator has not rendered the entries into argocd-cm', async () => {
    const result = await run([
      argoCd({ resourceHealthChecks: entries() }),
      argocdCm(data => {
        delete data[lokiKey()];
      }),
    ]);
    expect(result.status).toBe('fail');
    expect(result.message).toContain(
      `${LOKI}: ArgoCD openshift-gitops/openshift-gitops has it, but argocd-cm does not (has the OpenShift GitOps operator reconciled ArgoCD openshift-gitops/openshift-gitops? is it running?)`,
    );
  });
});
