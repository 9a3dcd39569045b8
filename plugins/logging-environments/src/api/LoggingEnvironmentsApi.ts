import { CompoundEntityRef } from '@backstage/catalog-model';
import { createApiRef } from '@backstage/core-plugin-api';
import {
  ApprovalState,
  ChecklistRun,
  EnvironmentDetails,
  EnvironmentSummary,
  HistoryEvent,
  ServiceHealth,
  SyncRun,
  Tier,
} from '@internal/plugin-logging-environments-common';

/**
 * A cluster the backend can create environments on.
 *
 * @public
 */
export interface ClusterSummary {
  name: string;
  /** Base URL of the cluster's Argo CD UI, when configured. */
  argocdUrl?: string;
  /** Base URL of the cluster's web console, when configured. */
  consoleUrl?: string;
}

/**
 * An environment as `GET /environments` lists it.
 *
 * @public
 */
export interface EnvironmentListItem extends EnvironmentSummary {
  approvalsComplete: boolean;
  /** Per Application name, the state of its waves in order. */
  waves: Record<string, string[]>;
}

/**
 * An entity reference, as a string (`resource:default/acme-prod`) or parsed.
 * Environments default to kind `resource`.
 *
 * @public
 */
export type EntityRefInput = string | CompoundEntityRef;

/**
 * An approve or reject decision at the phase-2 gate.
 *
 * @public
 */
export interface ApprovalDecisionRequest {
  decision: 'approve' | 'reject';
  /** The role decided in; the backend picks the caller's only open role when omitted. */
  role?: string;
  comment: string;
  /** The revision the caller saw; the backend answers 409 when it moved on. */
  revision?: string;
}

/**
 * Client of the Logging Environments backend.
 *
 * @public
 */
export interface LoggingEnvironmentsApi {
  /** The clusters the backend knows. */
  listClusters(): Promise<ClusterSummary[]>;
  /** The environments the caller may read. */
  listEnvironments(filter?: {
    owner?: string;
    tier?: Tier;
  }): Promise<EnvironmentListItem[]>;
  /** One environment: phase, checklist, approvals, sync run, waves and what the caller may do. */
  getEnvironment(environment: EntityRefInput): Promise<EnvironmentDetails>;
  /** Runs the checklist now and returns the stored run. */
  runChecklist(environment: EntityRefInput): Promise<ChecklistRun>;
  /** Records an approval or a rejection; returns the gate as it now stands. */
  decideApproval(
    environment: EntityRefInput,
    request: ApprovalDecisionRequest,
  ): Promise<ApprovalState>;
  /** Starts the phase-3 GitOps sync, pinned to the revision the caller confirmed. */
  startSync(
    environment: EntityRefInput,
    request?: { revision?: string },
  ): Promise<SyncRun>;
  /** The environment's audit trail, newest first. */
  getHistory(
    environment: EntityRefInput,
    options?: { limit?: number },
  ): Promise<HistoryEvent[]>;
  /** The logging health of a service (a Component, by default). */
  getServiceHealth(service: EntityRefInput): Promise<ServiceHealth>;
}

/**
 * ApiRef of {@link LoggingEnvironmentsApi}.
 *
 * @public
 */
export const loggingEnvironmentsApiRef = createApiRef<LoggingEnvironmentsApi>({
  id: 'plugin.logging-environments.service',
});
