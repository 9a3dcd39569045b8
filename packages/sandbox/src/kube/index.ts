/**
 * The sandbox's Kubernetes API: the object store, the served types, admission,
 * patching and the HTTP server.
 */
export * from './types';
export { MemoryObjectStore } from './store';
export { BUILTIN_TYPES, INITIAL_NAMESPACES } from './builtins';
export { loadCrdTypes } from './crds';
export { createCrdAdmission } from './admission';
export type { CrdAdmission } from './admission';
export { startKubeApiServer } from './server';
export type { KubeApiServer, KubeApiServerOptions } from './server';
export { selfSignedCertificate } from './tls';
export type { TlsCertificate } from './tls';
