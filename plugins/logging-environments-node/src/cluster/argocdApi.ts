import { EnsureError } from '../aws/errors';

/**
 * A client of the Argo CD API server, for syncing and rolling back through
 * it (so Argo CD's own RBAC and sync windows apply) and reading
 * Applications and their resource trees.
 *
 * @public
 */
export class ArgoCdApiClient {
  constructor(
    private readonly options: {
      url: string;
      token: string;
      fetch?: typeof fetch;
    },
  ) {}

  /**
   * Requests a sync of an Application at a pinned revision. A sync window
   * that blocks is reported as an error with reason `SyncWindowBlocked`,
   * never forced.
   */
  async sync(
    name: string,
    input: { appNamespace: string; revision: string; prune?: boolean },
  ): Promise<void> {
    await this.call(
      `Application ${input.appNamespace}/${name}`,
      'sync',
      'POST',
      `/api/v1/applications/${encodeURIComponent(name)}/sync`,
      {
        appNamespace: input.appNamespace,
        revision: input.revision,
        prune: input.prune ?? false,
        syncOptions: { items: ['ServerSideApply=true'] },
      },
    );
  }

  /** Rolls an Application back to a history entry. */
  async rollback(
    name: string,
    input: { appNamespace: string; id: number },
  ): Promise<void> {
    await this.call(
      `Application ${input.appNamespace}/${name}`,
      'rollback',
      'PUT',
      `/api/v1/applications/${encodeURIComponent(name)}/rollback`,
      { appNamespace: input.appNamespace, id: input.id, prune: false },
    );
  }

  /** Reads an Application. */
  async get(name: string, appNamespace: string): Promise<any> {
    return this.call(
      `Application ${appNamespace}/${name}`,
      'get',
      'GET',
      `/api/v1/applications/${encodeURIComponent(
        name,
      )}?appNamespace=${encodeURIComponent(appNamespace)}`,
    );
  }

  /**
   * Reads an Application's resource tree (`ApplicationTree`): its resources
   * and the objects they own, each with its health. Since Argo CD 3.0 this
   * is where per-resource health lives (`status.resourceHealthSource:
   * appTree`).
   */
  async resourceTree(name: string, appNamespace: string): Promise<any> {
    return this.call(
      `Application ${appNamespace}/${name}`,
      'resource-tree',
      'GET',
      `/api/v1/applications/${encodeURIComponent(
        name,
      )}/resource-tree?appNamespace=${encodeURIComponent(appNamespace)}`,
    );
  }

  private async call(
    resource: string,
    step: string,
    method: string,
    path: string,
    body?: unknown,
  ) {
    const doFetch = this.options.fetch ?? fetch;
    let response: Response;
    try {
      response = await doFetch(`${this.options.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.options.token}`,
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        body: body ? JSON.stringify(body) : undefined,
      });
    } catch (e) {
      throw new EnsureError(
        resource,
        step,
        'Unreachable',
        [],
        undefined,
        `Argo CD API at ${this.options.url} is unreachable: ${
          (e as Error).message
        }`,
      );
    }
    const text = await response.text();
    let parsed: any;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = { message: text };
    }
    if (!response.ok) {
      const message: string =
        parsed?.message ?? parsed?.error ?? response.statusText;
      const reason = /sync window/i.test(message)
        ? 'SyncWindowBlocked'
        : `HTTP ${response.status}`;
      throw new EnsureError(resource, step, reason, [], undefined, message);
    }
    return parsed;
  }
}
