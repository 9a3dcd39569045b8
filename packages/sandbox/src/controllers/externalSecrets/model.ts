/**
 * The External Secrets Operator's kinds, labels, messages and errors as the
 * simulation uses them (sources in `index.ts`), and the shared plumbing of
 * its parts.
 */
import { createHash } from 'node:crypto';
import {
  AwsAccess,
  AwsCredentials,
  AwsError,
  describeAwsError,
} from '../awsAccess';
import { ControllerContext } from '../types';

const GROUP_VERSION = 'external-secrets.io/v1';
/** ExternalSecret's apiVersion and kind. */
export const ES = { apiVersion: GROUP_VERSION, kind: 'ExternalSecret' };
/** SecretStore's apiVersion and kind. */
export const SS = { apiVersion: GROUP_VERSION, kind: 'SecretStore' };
/** ClusterSecretStore's apiVersion and kind. */
export const CSS = { apiVersion: GROUP_VERSION, kind: 'ClusterSecretStore' };
/** core/v1 Secret. */
export const SECRET = { apiVersion: 'v1', kind: 'Secret' };
/** core/v1 Namespace. */
export const NAMESPACE = { apiVersion: 'v1', kind: 'Namespace' };
/** The component of the operator's Events. */
export const COMPONENT = 'external-secrets';

/** Label ESO puts on every Secret it manages. */
export const LABEL_MANAGED = 'reconcile.external-secrets.io/managed';
/** Label ESO puts on Secrets it owns (creationPolicy Owner). */
export const LABEL_OWNER = 'reconcile.external-secrets.io/created-by';
/** Annotation with the hash of a managed Secret's data. */
export const ANNOTATION_DATA_HASH = 'reconcile.external-secrets.io/data-hash';

// Store and ExternalSecret messages (see the file comment of index.ts for sources).
export const MSG_STORE_VALIDATED = 'store validated';
export const MSG_UNABLE_CREATE_CLIENT = 'unable to create client';
export const MSG_SYNCED = 'secret synced';
export const MSG_SYNCED_RETAIN = 'secret retained due to DeletionPolicy=Retain';
export const MSG_DELETED = 'secret deleted due to DeletionPolicy=Delete';
export const MSG_MISSING =
  'secret will not be created due to CreationPolicy=Merge';
export const MSG_ERR_GET_DATA = 'could not get secret data from provider';
export const MSG_ERR_UPDATE = 'could not update secret';
export const MSG_ERR_IS_OWNED = 'target is owned by another ExternalSecret';
const NO_SECRET = 'Secret does not exist';

/** A configuration error of a store: ESO fails creating the client. */
export class ClientError extends Error {}

/** A missing provider secret (ESO's `NoSecretErr`). */
export class NoSecretError extends Error {
  constructor() {
    super(NO_SECRET);
  }
}

/** `spec.secretStoreRef` of an ExternalSecret. */
export interface StoreRef {
  kind: 'SecretStore' | 'ClusterSecretStore';
  name: string;
}

/** A reference to a key of a Secret. */
export interface AwsSecretRef {
  name?: string;
  key?: string;
  namespace?: string;
}

/** `spec.provider.aws` of a store. */
export interface AwsProviderSpec {
  service?: string;
  region?: string;
  role?: string;
  prefix?: string;
  auth?: {
    secretRef?: {
      accessKeyIDSecretRef?: AwsSecretRef;
      secretAccessKeySecretRef?: AwsSecretRef;
      sessionTokenSecretRef?: AwsSecretRef;
    };
    jwt?: unknown;
  };
}

/** The credentials and region a store gives a client in one namespace. */
export interface StoreClientConfig {
  credentials: AwsCredentials;
  region: string;
  prefix: string;
  /** ClusterSecretStore without secret namespaces: resolved per ExternalSecret. */
  referent: boolean;
}

/** A `remoteRef` (or `dataFrom[].extract`) of an ExternalSecret. */
export interface RemoteRef {
  key?: string;
  property?: string;
  version?: string;
  decodingStrategy?: string;
  conversionStrategy?: string;
  metadataPolicy?: string;
}

/** What the parts of the simulated operator share. */
export interface EsoRuntime {
  ctx: ControllerContext;
  /** The sandbox's AWS, as the stores' credentials see it. */
  access: AwsAccess;
  /** Set by stop(): work still in flight must not write afterwards. */
  stopped(): boolean;
  /**
   * Whether the controller runs: an External Secrets installed through OLM
   * has none until its operator deployed it (see operatorConfig.ts).
   */
  operandRunning(): boolean;
}

/** Hex MD5, as ESO hashes data and owners. */
export const md5 = (s: string) => createHash('md5').update(s).digest('hex');

/** The text of an error for conditions and Events (never secret values). */
export function errorText(e: unknown): string {
  if (e instanceof NoSecretError) return NO_SECRET;
  if (e instanceof AwsError || (e as { $metadata?: unknown })?.$metadata) {
    return describeAwsError(e);
  }
  return e instanceof Error ? e.message : String(e);
}
