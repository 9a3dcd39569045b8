import { resolveSafeChildPath } from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import { ActionContext } from '@backstage/plugin-scaffolder-node';
import { EnvironmentRecord } from '@internal/plugin-logging-environments-common';
import {
  ClusterClient,
  ClusterRegistry,
  EnvironmentRecordsApi,
} from '@internal/plugin-logging-environments-node';
import { readFile } from 'node:fs/promises';
import { parseAllDocuments } from 'yaml';
import { recordForStep } from './records';
import { assertEnvironmentName } from './util';

/** What the cluster bootstrap actions are built from. */
export interface ClusterActionOptions {
  clusters: ClusterRegistry;
  records: EnvironmentRecordsApi;
}

/** A client for a configured cluster; an unknown name is an InputError. */
export function clusterClient(
  clusters: ClusterRegistry,
  cluster: string,
): ClusterClient {
  const known = clusters.list().map(c => c.name);
  if (!known.includes(cluster)) {
    throw new InputError(
      `cluster: must be a configured cluster (${
        known.join(', ') || 'none configured'
      })`,
    );
  }
  return ClusterClient.fromKubeConfig(clusters.kubeConfig(cluster));
}

/**
 * How every cluster bootstrap action starts: it asks the backend whether
 * the step may act on its `cluster` (with the objects it applies, and as a
 * rotation when its `rotate` input says so; see `recordForStep`), then gets
 * a client for that cluster.
 */
export async function clusterForStep(
  ctx: ActionContext<
    {
      environment: string;
      cluster: string;
      rotate?: boolean;
    },
    any
  >,
  options: ClusterActionOptions,
  action: string,
  manifests?: object[],
): Promise<{ cluster: ClusterClient; record?: EnvironmentRecord }> {
  assertEnvironmentName(action, ctx.input.environment);
  const record = await recordForStep(
    ctx,
    options.records,
    ctx.input.environment,
    {
      action,
      facts: { cluster: ctx.input.cluster },
      ...(manifests ? { manifests } : {}),
      ...(ctx.input.rotate ? { rotate: true } : {}),
    },
  );
  return {
    cluster: clusterClient(options.clusters, ctx.input.cluster),
    record,
  };
}

/**
 * Reads the Kubernetes objects of rendered manifests in the task workspace.
 * Paths must stay inside the workspace.
 */
export async function readWorkspaceManifests(
  workspacePath: string,
  paths: string[],
  field = 'manifests',
): Promise<any[]> {
  const objects: any[] = [];
  for (const [i, path] of paths.entries()) {
    let file: string;
    try {
      file = resolveSafeChildPath(workspacePath, path);
    } catch {
      throw new InputError(
        `${field}[${i}]: must be a path inside the task workspace, not "${path}"`,
      );
    }
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      throw new InputError(
        `${field}[${i}]: no rendered manifest at "${path}" (did the render step run?)`,
      );
    }
    for (const doc of parseAllDocuments(text)) {
      if (doc.errors.length > 0) {
        throw new InputError(
          `${field}[${i}]: "${path}" is not valid YAML: ${doc.errors[0].message}`,
        );
      }
      const value = doc.toJS();
      if (value) objects.push(value);
    }
  }
  return objects;
}
