/**
 * The sandbox's Kubernetes API: the object store, the served types, admission,
 * patching and the HTTP server.
 */
export * from './types';
export { MemoryObjectStore, applyMerge } from './store';
export type { Admission } from './store';
export { parseFieldSelector, parseLabelSelector } from './selectors';
export { BUILTIN_TYPES, INITIAL_NAMESPACES } from './builtins';
export { CRD_DIR, loadCrdTypes } from './crds';
export {
  createCrdAdmission,
  invalidError,
  qualifiedKind,
  strictDecodingError,
} from './admission';
export type {
  CrdAdmission,
  FieldValidation,
  ValidateOptions,
} from './admission';
export {
  PATCH_CONTENT_TYPES,
  applyJsonPatch,
  applyMergePatch,
  applyStrategicMergePatch,
  parsePatchBody,
  patchObject,
  patchTypeOf,
} from './patch';
export type { PatchType } from './patch';
export { KUBE_VERSION } from './discovery';
export { ResourceExpiredError, WatchHistory } from './history';
export type { RecordedEvent } from './history';
export { TableRenderer, humanDuration, loadPrinterColumns } from './table';
export type { IncludeObject, PrinterColumn } from './table';
export { evaluateJsonPath } from './jsonpath';
export { kubeconfigYaml } from './kubeconfig';
export type { KubeconfigOptions } from './kubeconfig';
export { startKubeApiServer } from './server';
export type { KubeApiServer, KubeApiServerOptions } from './server';
export { selfSignedCertificate } from './tls';
export type { TlsCertificate } from './tls';
export { decodeProtobufObject, isProtobuf } from './protobuf';
