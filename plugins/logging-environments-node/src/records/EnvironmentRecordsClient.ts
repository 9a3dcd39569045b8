import {
  AuthService,
  BackstageCredentials,
  DiscoveryService,
} from '@backstage/backend-plugin-api';
import {
  ConflictError,
  InputError,
  NotAllowedError,
  NotFoundError,
  ResponseError,
} from '@backstage/errors';
import {
  BootstrapRequest,
  BootstrapStepCheck,
  EnvironmentRecord,
} from '@internal/plugin-logging-environments-common';

/** The plugin that owns the records. */
const PLUGIN_ID = 'logging-environments';

/**
 * The bootstrap's view of the trusted records (the backend plugin's
 * `/records` API). Every call is made on behalf of the person who runs the
 * bootstrap, so the backend checks who they are.
 *
 * @public
 */
export interface EnvironmentRecordsApi {
  /**
   * Claims a new environment, or confirms that the caller may re-run the
   * bootstrap of an existing one with these choices. With `dryRun` nothing
   * is written. With `taskId` (the scaffolder task running the bootstrap)
   * the run is a `bootstrap` entry of the environment's history linking
   * the task; the backend accepts it only from the scaffolder.
   */
  claim(
    request: BootstrapRequest,
    options: {
      credentials: BackstageCredentials;
      dryRun?: boolean;
      taskId?: string;
    },
  ): Promise<{ record: EnvironmentRecord; created: boolean }>;
  /**
   * Checks a bootstrap step run by the caller before it acts, and returns
   * the environment's record: refused (and audited) unless the caller is
   * its requester, a member of its owner group or an administrator, the
   * step's facts and rendered objects are what the record implies, and a
   * rotation is the caller's to make.
   */
  checkStep(
    name: string,
    step: BootstrapStepCheck,
    options: { credentials: BackstageCredentials },
  ): Promise<EnvironmentRecord>;
  /**
   * Asks the backend to bind the environment's registered Argo CD
   * Applications to its record: the backend reads them from the cluster
   * itself and checks them against what the template renders. With
   * `taskId`, as for `claim`, the history entry links the task.
   */
  bindApplications(
    name: string,
    options: { credentials: BackstageCredentials; taskId?: string },
  ): Promise<EnvironmentRecord>;
}

/**
 * {@link EnvironmentRecordsApi} over HTTP, found through discovery, with a
 * token issued on behalf of the caller.
 *
 * @public
 */
export class EnvironmentRecordsClient implements EnvironmentRecordsApi {
  static create(options: {
    discovery: DiscoveryService;
    auth: AuthService;
  }): EnvironmentRecordsClient {
    return new EnvironmentRecordsClient(options.discovery, options.auth);
  }

  private constructor(
    private readonly discovery: DiscoveryService,
    private readonly auth: AuthService,
  ) {}

  async claim(
    request: BootstrapRequest,
    options: {
      credentials: BackstageCredentials;
      dryRun?: boolean;
      taskId?: string;
    },
  ) {
    return this.call<{ record: EnvironmentRecord; created: boolean }>(
      'POST',
      `/records${query({
        dryRun: options.dryRun ? 'true' : undefined,
        taskId: options.taskId,
      })}`,
      options.credentials,
      request,
    );
  }

  async checkStep(
    name: string,
    step: BootstrapStepCheck,
    options: { credentials: BackstageCredentials },
  ) {
    return this.call<EnvironmentRecord>(
      'POST',
      `/records/default/${encodeURIComponent(name)}/steps`,
      options.credentials,
      step,
    );
  }

  async bindApplications(
    name: string,
    options: { credentials: BackstageCredentials; taskId?: string },
  ) {
    return this.call<EnvironmentRecord>(
      'POST',
      `/records/default/${encodeURIComponent(name)}/applications${query({
        taskId: options.taskId,
      })}`,
      options.credentials,
      {},
    );
  }

  private async call<T>(
    method: 'GET' | 'POST',
    path: string,
    credentials: BackstageCredentials,
    body?: unknown,
  ): Promise<T> {
    const base = await this.discovery.getBaseUrl(PLUGIN_ID);
    const { token } = await this.auth.getPluginRequestToken({
      onBehalfOf: credentials,
      targetPluginId: PLUGIN_ID,
    });
    const response = await fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) {
      throw await toError(response);
    }
    return (await response.json()) as T;
  }
}

/** A query string of the given parameters, or nothing. */
function query(params: Record<string, string | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined) search.set(key, value);
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

/**
 * The backend's refusal as the same kind of error, with its reason: a
 * scaffolder step that fails shows the message as it is.
 */
async function toError(response: Response): Promise<Error> {
  const error = await ResponseError.fromResponse(response);
  const message = error.body?.error?.message ?? error.message;
  switch (response.status) {
    case 400:
      return new InputError(message);
    case 403:
      return new NotAllowedError(message);
    case 404:
      return new NotFoundError(message);
    case 409:
      return new ConflictError(message);
    default:
      return error;
  }
}
