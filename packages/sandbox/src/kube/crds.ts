import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ResourceType } from './types';

/**
 * The upstream CRDs shipped with the sandbox (verbatim copies). The sandbox
 * always runs from source, never from a production build.
 */
// eslint-disable-next-line no-restricted-syntax
export const CRD_DIR = join(__dirname, '../../crds');

// Parsing the 3 MB of upstream CRDs takes ~0.4 s; do it once per process.
const cache = new Map<string, ResourceType[]>();

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap(name => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return yamlFiles(path);
    return /\.ya?ml$/.test(name) ? [path] : [];
  });
}

/**
 * Reads every CustomResourceDefinition under `dir` and returns one
 * ResourceType per served version, with its openAPIV3Schema. Versions that
 * are not served are left out, as the API server does. The legacy
 * logging.openshift.io CRDs (kept for validating old manifests) are skipped
 * unless `includeLegacy` is set.
 */
export function loadCrdTypes(
  dir: string = CRD_DIR,
  options: { includeLegacy?: boolean } = {},
): ResourceType[] {
  const cacheKey = `${dir}|${Boolean(options.includeLegacy)}`;
  const cached = cache.get(cacheKey);
  if (cached) return structuredClone(cached);
  const types: ResourceType[] = [];
  for (const file of yamlFiles(dir)) {
    if (!options.includeLegacy && file.includes('release-5.9')) continue;
    // YAML 1.2 core schema: dates stay strings.
    const crd = parse(readFileSync(file, 'utf8'));
    if (crd?.kind !== 'CustomResourceDefinition') continue;
    const { group, names, scope, versions } = crd.spec;
    for (const v of versions) {
      if (!v.served) continue;
      types.push({
        group,
        version: v.name,
        kind: names.kind,
        plural: names.plural,
        singular: names.singular ?? names.kind.toLowerCase(),
        shortNames: names.shortNames,
        namespaced: scope === 'Namespaced',
        statusSubresource: Boolean(v.subresources?.status),
        schema: v.schema?.openAPIV3Schema,
        verbs: [
          'create',
          'delete',
          'deletecollection',
          'get',
          'list',
          'patch',
          'update',
          'watch',
        ],
      });
    }
  }
  cache.set(cacheKey, types);
  return structuredClone(types);
}
