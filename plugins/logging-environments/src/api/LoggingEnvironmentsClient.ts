import { parseEntityRef } from '@backstage/catalog-model';
import { DiscoveryApi, FetchApi } from '@backstage/core-plugin-api';
import { ResponseError } from '@backstage/errors';
import {
  ApprovalState,
  ChecklistRun,
  EnvironmentDetails,
  HistoryEvent,
  ServiceHealth,
  SyncRun,
  Tier,
} from '@internal/plugin-logging-environments-common';
import {
  ApprovalDecisionRequest,
  ClusterSummary,
  EntityRefInput,
  EnvironmentListItem,
  LoggingEnvironmentsApi,
} from './LoggingEnvironmentsApi';

function pathOf(ref: EntityRefInput, defaultKind: string, withKind: boolean) {
  const { kind, namespace, name } =
    typeof ref === 'string'
      ? parseEntityRef(ref, { defaultKind, defaultNamespace: 'default' })
      : ref;
  const parts = withKind
    ? [namespace, kind.toLocaleLowerCase('en-US'), name]
    : [namespace, name];
  return parts.map(encodeURIComponent).join('/');
}

const environmentPath = (ref: EntityRefInput) =>
  `/environments/${pathOf(ref, 'resource', false)}`;

/**
 * {@link LoggingEnvironmentsApi} over HTTP, through the discovery and fetch
 * APIs (so the user's identity travels with every request).
 *
 * @public
 */
export class LoggingEnvironmentsClient implements LoggingEnvironmentsApi {
  private readonly discoveryApi: DiscoveryApi;
  private readonly fetchApi: FetchApi;

  constructor(options: { discoveryApi: DiscoveryApi; fetchApi: FetchApi }) {
    this.discoveryApi = options.discoveryApi;
    this.fetchApi = options.fetchApi;
  }

  async listClusters(): Promise<ClusterSummary[]> {
    const body = await this.request<{ items: ClusterSummary[] }>('/clusters');
    return body.items;
  }

  async listEnvironments(
    filter: { owner?: string; tier?: Tier } = {},
  ): Promise<EnvironmentListItem[]> {
    const query = new URLSearchParams();
    if (filter.owner) query.set('owner', filter.owner);
    if (filter.tier) query.set('tier', filter.tier);
    const qs = query.toString();
    const body = await this.request<{ items: EnvironmentListItem[] }>(
      `/environments${qs ? `?${qs}` : ''}`,
    );
    return body.items;
  }

  async getEnvironment(
    environment: EntityRefInput,
  ): Promise<EnvironmentDetails> {
    return this.request(environmentPath(environment));
  }

  async runChecklist(environment: EntityRefInput): Promise<ChecklistRun> {
    return this.request(`${environmentPath(environment)}/checklist`, {
      method: 'POST',
    });
  }

  async decideApproval(
    environment: EntityRefInput,
    request: ApprovalDecisionRequest,
  ): Promise<ApprovalState> {
    return this.request(`${environmentPath(environment)}/approvals`, {
      method: 'POST',
      body: request,
    });
  }

  async startSync(
    environment: EntityRefInput,
    request: { revision?: string } = {},
  ): Promise<SyncRun> {
    return this.request(`${environmentPath(environment)}/sync`, {
      method: 'POST',
      body: request,
    });
  }

  async getHistory(
    environment: EntityRefInput,
    options: { limit?: number } = {},
  ): Promise<HistoryEvent[]> {
    const qs = options.limit ? `?limit=${options.limit}` : '';
    const body = await this.request<{ items: HistoryEvent[] }>(
      `${environmentPath(environment)}/history${qs}`,
    );
    return body.items;
  }

  async getServiceHealth(service: EntityRefInput): Promise<ServiceHealth> {
    return this.request(
      `/services/${pathOf(service, 'component', true)}/health`,
    );
  }

  private async request<T>(
    path: string,
    init: { method?: 'GET' | 'POST'; body?: unknown } = {},
  ): Promise<T> {
    const baseUrl = await this.discoveryApi.getBaseUrl('logging-environments');
    const response = await this.fetchApi.fetch(`${baseUrl}${path}`, {
      method: init.method ?? 'GET',
      ...(init.body !== undefined
        ? {
            headers: { 'Content-Type': 'application/json' },
            body: JSON.stringify(init.body),
          }
        : {}),
    });
    if (!response.ok) {
      throw await ResponseError.fromResponse(response);
    }
    return (await response.json()) as T;
  }
}
