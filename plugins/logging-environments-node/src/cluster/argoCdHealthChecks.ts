import { resolvePackagePath } from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import { InputError } from '@backstage/errors';
import { loadYaml } from '@kubernetes/client-node';
import { readFile } from 'node:fs/promises';
import { basename, relative, resolve as resolvePath } from 'node:path';
import type { ClusterRegistry } from '../clusters';

/**
 * One Lua health check Argo CD runs for a kind (a `resource.customizations.
 * health.<group>_<kind>` key of `argocd-cm`, or an entry of the OpenShift
 * GitOps `ArgoCD` resource's `spec.resourceHealthChecks`).
 *
 * @public
 */
export interface ArgoCdHealthCheck {
  /** API group of the kind; empty for the core group. */
  group: string;
  kind: string;
  /** The Lua script. */
  check: string;
}

/**
 * The health checks the product ships, as their kustomization renders them.
 *
 * @public
 */
export interface ArgoCdHealthChecks {
  checks: ArgoCdHealthCheck[];
  /** Labels of the rendered `argocd-cm` (Argo CD reads only ConfigMaps labelled `app.kubernetes.io/part-of: argocd`). */
  labels: Record<string, string>;
}

/**
 * How a cluster's Argo CD takes health checks: `upstream` reads `argocd-cm`
 * (the product server-side applies its keys); `openshift-gitops` has the
 * OpenShift GitOps operator render `argocd-cm` from the `ArgoCD` resource
 * (the product adds entries to its `spec.resourceHealthChecks`).
 *
 * @public
 */
export type ArgoCdFlavour = 'upstream' | 'openshift-gitops';

/**
 * A cluster's configured flavour; `auto` (the default) detects it: an
 * `ArgoCD` resource in the Argo CD namespace means OpenShift GitOps.
 *
 * @public
 */
export type ArgoCdFlavourSetting = ArgoCdFlavour | 'auto';

/**
 * The values {@link ArgoCdFlavourSetting} takes, for validating config.
 *
 * @internal
 */
export const ARGOCD_FLAVOUR_SETTINGS: readonly ArgoCdFlavourSetting[] = [
  'auto',
  'upstream',
  'openshift-gitops',
];

const HEALTH_PREFIX = 'resource.customizations.health.';

/**
 * The `argocd-cm` key of a health check, as Argo CD reads it and as the
 * OpenShift GitOps operator writes it (`getResourceHealthChecks`:
 * `<group>_<kind>`, or `<kind>` for the core group).
 *
 * @public
 */
export function argoCdHealthCheckKey(check: {
  group?: string;
  kind?: string;
}): string {
  return `${HEALTH_PREFIX}${check.group ? `${check.group}_` : ''}${
    check.kind ?? ''
  }`;
}

/**
 * Whether two health scripts are the same script: equal but for trailing
 * white space (a YAML block scalar may add or drop the final newline).
 *
 * @public
 */
export function sameHealthScript(
  actual: string | undefined,
  shipped: string,
): boolean {
  return typeof actual === 'string' && actual.trimEnd() === shipped.trimEnd();
}

/** The group and kind of a `resource.customizations.health.*` key. */
function parseHealthKey(key: string): { group: string; kind: string } {
  const rest = key.slice(HEALTH_PREFIX.length);
  // Kinds have no "_"; groups are DNS names.
  const i = rest.lastIndexOf('_');
  return i < 0
    ? { group: '', kind: rest }
    : { group: rest.slice(0, i), kind: rest.slice(i + 1) };
}

const SUPPORTED_FIELDS = new Set([
  'apiVersion',
  'kind',
  'namespace',
  'generatorOptions',
  'configMapGenerator',
]);

/**
 * Renders the kustomization of the health checks (`manifests/argocd/health`)
 * the way `kubectl kustomize` does, without kubectl: its one
 * `configMapGenerator` entry, `argocd-cm`, with `files` (`key=path` or
 * `path`) and `literals`, and the generator options' labels. Anything else
 * kustomize could do there (resources, patches, `envs`, a name suffix hash)
 * is refused rather than misread; so is any key that is not a health check
 * (a `useOpenLibs` key cannot be expressed on OpenShift GitOps).
 *
 * @public
 */
export async function readArgoCdHealthChecks(
  dir: string,
): Promise<ArgoCdHealthChecks> {
  const file = resolvePath(dir, 'kustomization.yaml');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new InputError(
      `No Argo CD health checks at ${dir}: cannot read kustomization.yaml (${
        (e as Error).message
      }); set loggingEnvironments.argocd.healthChecksDir to the product's manifests/argocd/health`,
    );
  }
  const where = file;
  let k: Record<string, any>;
  try {
    k = (loadYaml(text) ?? {}) as Record<string, any>;
  } catch (e) {
    throw new InputError(`${where} is not valid YAML: ${(e as Error).message}`);
  }
  const unsupported = Object.keys(k).filter(f => !SUPPORTED_FIELDS.has(f));
  if (unsupported.length) {
    throw new InputError(
      `${where}: ${unsupported.join(
        ', ',
      )} not supported: the health checks are one configMapGenerator (argocd-cm)`,
    );
  }
  const generators: any[] = k.configMapGenerator ?? [];
  if (generators.length !== 1 || generators[0]?.name !== 'argocd-cm') {
    throw new InputError(
      `${where}: needs exactly one configMapGenerator, named argocd-cm`,
    );
  }
  const [generator] = generators;
  if (generator.envs || generator.env) {
    throw new InputError(`${where}: argocd-cm: envs are not supported`);
  }
  if (generator.behavior && generator.behavior !== 'create') {
    throw new InputError(
      `${where}: argocd-cm: behavior ${generator.behavior} is not supported`,
    );
  }
  const options = { ...k.generatorOptions, ...generator.options };
  if (options.disableNameSuffixHash !== true) {
    throw new InputError(
      `${where}: argocd-cm needs disableNameSuffixHash: true (kustomize would name it argocd-cm-<hash>, which Argo CD does not read)`,
    );
  }
  const data: Record<string, string> = {};
  for (const literal of (generator.literals ?? []) as string[]) {
    const i = String(literal).indexOf('=');
    if (i < 1) throw new InputError(`${where}: bad literal "${literal}"`);
    data[literal.slice(0, i)] = literal.slice(i + 1);
  }
  const root = resolvePath(dir);
  for (const entry of (generator.files ?? []) as string[]) {
    const i = String(entry).indexOf('=');
    const key = i < 0 ? basename(entry) : entry.slice(0, i);
    const path = resolvePath(root, i < 0 ? entry : entry.slice(i + 1));
    // kustomize's load restrictor: files stay under the kustomization.
    const rel = relative(root, path);
    if (rel.startsWith('..') || resolvePath(root, rel) !== path) {
      throw new InputError(`${where}: ${entry} is outside ${root}`);
    }
    data[key] = await readFile(path, 'utf8');
  }
  const checks: ArgoCdHealthCheck[] = [];
  for (const [key, check] of Object.entries(data)) {
    if (!key.startsWith(HEALTH_PREFIX)) {
      throw new InputError(
        `${where}: argocd-cm key ${key} is not a health check (only ${HEALTH_PREFIX}<group>_<kind> keys can be installed on every Argo CD)`,
      );
    }
    checks.push({ ...parseHealthKey(key), check });
  }
  if (checks.length === 0) {
    throw new InputError(`${where}: argocd-cm holds no health check`);
  }
  return {
    checks,
    labels: { ...(options.labels ?? {}) },
  };
}

/**
 * Where the product's health checks are when nothing is configured:
 * `manifests/argocd/health` at the root of the workspace this package is
 * part of (the checkout, or a deployment that keeps `manifests/` beside
 * its packages).
 *
 * @public
 */
export function defaultArgoCdHealthChecksDir(): string {
  return resolvePackagePath(
    '@internal/plugin-logging-environments-node',
    '../../manifests/argocd/health',
  );
}

/**
 * What the bootstrap and the checklist need to install and check the
 * product's Argo CD health checks.
 *
 * @public
 */
export interface ArgoCdHealthCheckSettings {
  /** The shipped checks, rendered from their kustomization on each call. */
  healthChecks(): Promise<ArgoCdHealthChecks>;
  /** How a cluster's Argo CD takes them (`auto` unless configured). */
  flavour(cluster: string): ArgoCdFlavourSetting;
}

/**
 * The settings from `loggingEnvironments.argocd.healthChecksDir` (relative
 * to the working directory; default {@link defaultArgoCdHealthChecksDir})
 * and each cluster's `argocdFlavour`.
 *
 * @public
 */
export function argoCdHealthCheckSettings(
  options: { config?: Config; clusters?: ClusterRegistry } = {},
): ArgoCdHealthCheckSettings {
  const configured = options.config?.getOptionalString(
    'loggingEnvironments.argocd.healthChecksDir',
  );
  const dir = configured
    ? resolvePath(configured)
    : defaultArgoCdHealthChecksDir();
  return {
    healthChecks: () => readArgoCdHealthChecks(dir),
    flavour: cluster => options.clusters?.get(cluster).argocdFlavour ?? 'auto',
  };
}
