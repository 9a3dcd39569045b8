import {
  ApiError,
  BUILTIN_TYPES,
  MemoryObjectStore,
  createCrdAdmission,
  loadCrdTypes,
} from '@internal/sandbox';
import { Manifest } from './kustomize';

const types = [...BUILTIN_TYPES, ...loadCrdTypes()];
// Only used to look types up: typeOf refuses versions that are not served.
const registry = new MemoryObjectStore(types);
const admission = createCrdAdmission();

/**
 * Checks a manifest against the upstream CRD schemas the way the API server
 * does under kubectl's `--validate=strict`: its apiVersion must be a served
 * version, unknown fields are errors, and the schema (types, enums,
 * required fields, patterns) must hold. Built-in kinds are only checked to
 * be known. Returns the problems, empty when valid.
 */
export function schemaProblems(manifest: Manifest): string[] {
  const what = `${manifest.kind} ${manifest.metadata?.name}`;
  let type;
  try {
    type = registry.typeOf(manifest.apiVersion, manifest.kind);
  } catch (e) {
    return [`${what}: ${(e as Error).message}`];
  }
  if (!type.schema) return [];
  const copy = structuredClone(manifest) as any;
  const unknown = admission.unknownFields(type, copy);
  if (unknown.length > 0) {
    return unknown.map(f => `${what}: unknown field "${f}"`);
  }
  try {
    admission.validate(type, copy, { fieldValidation: 'Strict' });
  } catch (e) {
    const causes = (e as ApiError).details?.causes ?? [];
    return causes.length
      ? causes.map(c => `${what}: ${c.field}: ${c.message}`)
      : [`${what}: ${(e as Error).message}`];
  }
  return [];
}
