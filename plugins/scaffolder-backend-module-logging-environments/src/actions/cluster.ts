import { resolveSafeChildPath } from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import {
  ClusterClient,
  ClusterRegistry,
} from '@internal/plugin-logging-environments-node';
import { readFile } from 'node:fs/promises';
import { parseAllDocuments } from 'yaml';

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
