/**
 * AppProject permissions as Argo CD applies them (`app_project_types.go`,
 * `util/argo/argo.go`): source repositories, destinations, resource allow
 * and deny lists.
 */
import {
  Application,
  ApplicationCondition,
  ApplicationDestination,
  AppProject,
  GroupKind,
  IN_CLUSTER_NAME,
  IN_CLUSTER_SERVER,
  sourceOf,
} from '../types';
import { globMatch } from './glob';

const isDenyPattern = (p: string | undefined) => Boolean(p?.startsWith('!'));

/** Argo CD's `git.NormalizeGitURL`: lower case, no `.git` suffix, SSH forms unified. */
export function normalizeGitURL(repo: string): string {
  let r = repo.trim().toLowerCase();
  const scpLike = /^[\w.-]+@[\w.-]+:(?!\/\/)/.test(r);
  if (scpLike) r = r.replace(':', '/');
  if (r.endsWith('.git')) r = r.slice(0, -4);
  return r.replace(/^ssh:\/\//, '');
}

/** `AppProject.IsSourcePermitted`. */
export function isSourcePermitted(proj: AppProject, repoURL: string): boolean {
  const src = normalizeGitURL(repoURL);
  let any = false;
  for (const repo of proj.spec?.sourceRepos ?? []) {
    const normalized = isDenyPattern(repo)
      ? `!${normalizeGitURL(repo.slice(1))}`
      : normalizeGitURL(repo);
    const matched = globMatch(normalized, src, {
      allowNegation: true,
      separator: '/',
    });
    if (matched) any = true;
    else if (isDenyPattern(normalized)) return false;
  }
  return any;
}

/** A cluster the sandbox's Argo CD knows: only the one it runs in. */
export interface DestinationCluster {
  server: string;
  name: string;
}

/**
 * Resolves `spec.destination` to a known cluster, as `GetDestinationCluster`
 * does; throws with Argo CD's message when it cannot.
 */
export function destinationCluster(
  dest: ApplicationDestination,
): DestinationCluster {
  const server = dest.server?.replace(/\/+$/, '');
  if (dest.name && server) {
    throw new Error(
      `application destination can't have both name and server defined: ${dest.name} ${dest.server}`,
    );
  }
  if (dest.name) {
    if (dest.name !== IN_CLUSTER_NAME) {
      throw new Error(
        `error getting cluster by name "${dest.name}": there are no clusters with this name: ${dest.name}`,
      );
    }
    return { server: IN_CLUSTER_SERVER, name: IN_CLUSTER_NAME };
  }
  if (!server) throw new Error('Destination server missing from app spec');
  if (server !== IN_CLUSTER_SERVER) {
    throw new Error(
      `error getting cluster by server "${dest.server}": rpc error: code = NotFound desc = cluster "${dest.server}" not found`,
    );
  }
  return { server: IN_CLUSTER_SERVER, name: IN_CLUSTER_NAME };
}

/** `AppProject.isDestinationMatched` for a cluster and namespace. */
export function isDestinationPermitted(
  proj: AppProject,
  cluster: DestinationCluster,
  namespace: string,
): boolean {
  let any = false;
  for (const item of proj.spec?.destinations ?? []) {
    const nameMatched =
      item.name !== undefined &&
      item.name !== '' &&
      globMatch(item.name, cluster.name, { allowNegation: true });
    const serverMatched =
      item.server !== undefined &&
      item.server !== '' &&
      globMatch(item.server, cluster.server, { allowNegation: true });
    const nsMatched = globMatch(item.namespace ?? '', namespace, {
      allowNegation: true,
    });
    if ((serverMatched || nameMatched) && nsMatched) any = true;
    else if (
      (!nameMatched && isDenyPattern(item.name)) ||
      (!serverMatched && isDenyPattern(item.server)) ||
      (!nsMatched && isDenyPattern(item.namespace))
    ) {
      return false;
    }
  }
  return any;
}

function inList(list: GroupKind[], group: string, kind: string, name?: string) {
  return list.some(
    item =>
      globMatch(item.kind ?? '', kind, { separator: '/' }) &&
      globMatch(item.group ?? '', group, { separator: '/' }) &&
      (!item.name || name === undefined || globMatch(item.name, name)),
  );
}

/**
 * `AppProject.IsGroupKindNamePermitted`: namespaced kinds need the
 * namespace allow list (absent = everything) and not the deny list;
 * cluster-scoped kinds need an explicit entry in the cluster allow list.
 */
export function isGroupKindPermitted(
  proj: AppProject,
  group: string,
  kind: string,
  namespaced: boolean,
  name?: string,
): boolean {
  const spec = proj.spec ?? {};
  if (namespaced) {
    const white = spec.namespaceResourceWhitelist;
    const black = spec.namespaceResourceBlacklist ?? [];
    const whiteListed =
      white === undefined || (white.length > 0 && inList(white, group, kind));
    return whiteListed && !(black.length > 0 && inList(black, group, kind));
  }
  const white = spec.clusterResourceWhitelist ?? [];
  const black = spec.clusterResourceBlacklist ?? [];
  return (
    white.length > 0 &&
    inList(white, group, kind, name) &&
    !(black.length > 0 && inList(black, group, kind, name))
  );
}

/**
 * `argo.ValidatePermissions`: the InvalidSpecError conditions of an
 * Application in its project (source, destination cluster, destination).
 */
export function validatePermissions(
  app: Application,
  proj: AppProject,
): ApplicationCondition[] {
  const conditions: ApplicationCondition[] = [];
  const source = sourceOf(app);
  if (!source?.repoURL || (!source.path && !source.chart && !source.ref)) {
    conditions.push({
      type: 'InvalidSpecError',
      message:
        'spec.source.repoURL and either spec.source.path, spec.source.chart, or spec.source.ref are required',
    });
    return conditions;
  }
  if (!isSourcePermitted(proj, source.repoURL)) {
    conditions.push({
      type: 'InvalidSpecError',
      message: `application repo ${source.repoURL} is not permitted in project '${proj.metadata.name}'`,
    });
  }
  let cluster: DestinationCluster;
  try {
    cluster = destinationCluster(app.spec.destination ?? {});
  } catch (e) {
    conditions.push({
      type: 'InvalidSpecError',
      message: (e as Error).message,
    });
    return conditions;
  }
  const namespace = app.spec.destination?.namespace ?? '';
  if (!isDestinationPermitted(proj, cluster, namespace)) {
    conditions.push({
      type: 'InvalidSpecError',
      message: `application destination server '${cluster.server}' and namespace '${namespace}' do not match any of the allowed destinations in project '${proj.metadata.name}'`,
    });
  }
  return conditions;
}
