/**
 * The validation a real API server gives the workload kinds the portal's
 * own deployment uses (apps/v1 Deployment, v1 Service, policy/v1
 * PodDisruptionBudget), so that `kubectl apply --dry-run=server` of
 * `deploy/` against the sandbox refuses what a cluster would. Only the
 * rules a manifest mistake plausibly breaks, with the field paths and
 * messages of Kubernetes' `pkg/apis/{apps,core,policy}/validation`.
 */
import type { KubeObject, ResourceType, StatusCause } from './types';

const required = (field: string): StatusCause => ({
  reason: 'FieldValueRequired',
  message: 'Required value',
  field,
});

const invalid = (
  field: string,
  value: unknown,
  detail: string,
): StatusCause => ({
  reason: 'FieldValueInvalid',
  message: `Invalid value: ${JSON.stringify(value)}: ${detail}`,
  field,
});

type LabelSelector = {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{
    key: string;
    operator: string;
    values?: string[];
  }>;
};

/** Whether `labels` satisfy a label selector (an empty one selects everything). */
function selects(selector: LabelSelector, labels: Record<string, string>) {
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) {
    if (labels[k] !== v) return false;
  }
  for (const e of selector.matchExpressions ?? []) {
    const has = e.key in labels;
    const inValues = (e.values ?? []).includes(labels[e.key]);
    if (e.operator === 'In' && !(has && inValues)) return false;
    if (e.operator === 'NotIn' && has && inValues) return false;
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

function isEmptySelector(selector?: LabelSelector) {
  return (
    !selector ||
    (Object.keys(selector.matchLabels ?? {}).length === 0 &&
      (selector.matchExpressions ?? []).length === 0)
  );
}

/** A pod template's containers (`<path>.spec.containers`). */
function containerCauses(podSpec: any, path: string): StatusCause[] {
  const containers = podSpec?.containers;
  if (!Array.isArray(containers) || containers.length === 0) {
    return [required(`${path}.containers`)];
  }
  const causes: StatusCause[] = [];
  const names = new Set<string>();
  containers.forEach((c: any, i: number) => {
    const at = `${path}.containers[${i}]`;
    if (!c?.name) causes.push(required(`${at}.name`));
    else if (names.has(c.name)) {
      causes.push({
        reason: 'FieldValueDuplicate',
        message: `Duplicate value: ${JSON.stringify(c.name)}`,
        field: `${at}.name`,
      });
    } else names.add(c.name);
    if (!c?.image) causes.push(required(`${at}.image`));
    for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
      const p = c?.[probe];
      if (p && !p.httpGet && !p.tcpSocket && !p.exec && !p.grpc) {
        causes.push(required(`${at}.${probe}`));
      }
    }
    const volumes = new Set(
      (podSpec.volumes ?? []).map((v: { name: string }) => v.name),
    );
    (c?.volumeMounts ?? []).forEach((m: any, j: number) => {
      if (!volumes.has(m?.name)) {
        causes.push({
          reason: 'FieldValueNotFound',
          message: `Not found: ${JSON.stringify(m?.name)}`,
          field: `${at}.volumeMounts[${j}].name`,
        });
      }
    });
  });
  return causes;
}

function deploymentCauses(o: KubeObject): StatusCause[] {
  const spec: Record<string, any> = (o.spec as Record<string, any>) ?? {};
  const causes: StatusCause[] = [];
  if (isEmptySelector(spec.selector)) {
    causes.push(required('spec.selector'));
  } else {
    const labels = spec.template?.metadata?.labels ?? {};
    if (!selects(spec.selector, labels)) {
      causes.push(
        invalid(
          'spec.template.metadata.labels',
          labels,
          '`selector` does not match template `labels`',
        ),
      );
    }
  }
  if (typeof spec.replicas === 'number' && spec.replicas < 0) {
    causes.push(
      invalid(
        'spec.replicas',
        spec.replicas,
        'must be greater than or equal to 0',
      ),
    );
  }
  causes.push(...containerCauses(spec.template?.spec, 'spec.template.spec'));
  return causes;
}

function serviceCauses(o: KubeObject): StatusCause[] {
  const spec: Record<string, any> = (o.spec as Record<string, any>) ?? {};
  if (spec.type === 'ExternalName') return [];
  const ports = spec.ports;
  if (!Array.isArray(ports) || ports.length === 0) {
    return spec.clusterIP === 'None' ? [] : [required('spec.ports')];
  }
  const causes: StatusCause[] = [];
  ports.forEach((p: any, i: number) => {
    if (typeof p?.port !== 'number')
      causes.push(required(`spec.ports[${i}].port`));
    if (ports.length > 1 && !p?.name) {
      causes.push(required(`spec.ports[${i}].name`));
    }
  });
  return causes;
}

function podDisruptionBudgetCauses(o: KubeObject): StatusCause[] {
  const spec: Record<string, any> = (o.spec as Record<string, any>) ?? {};
  if (spec.minAvailable !== undefined && spec.maxUnavailable !== undefined) {
    return [
      invalid(
        'spec',
        spec,
        'minAvailable and maxUnavailable cannot be both set',
      ),
    ];
  }
  return [];
}

const VALIDATORS: Record<string, (o: KubeObject) => StatusCause[]> = {
  'apps/Deployment': deploymentCauses,
  '/Service': serviceCauses,
  'policy/PodDisruptionBudget': podDisruptionBudgetCauses,
};

/** What a real API server would refuse in a workload object; empty for other kinds. */
export function workloadCauses(
  type: Pick<ResourceType, 'group' | 'kind'>,
  object: KubeObject,
): StatusCause[] {
  return VALIDATORS[`${type.group}/${type.kind}`]?.(object) ?? [];
}
