/** Ensures the External Secrets configuration object of a flavour (apply or adopt), then waits for the controller. */
import { EnsureError } from '../aws/errors';
import { EnsureOptions, EnsureResult } from '../aws/types';
import { ClusterClient, FIELD_MANAGER, waitFor } from './client';
import {
  EXTERNAL_SECRETS_CONFIGS,
  Obj,
  describeObject,
  findConfig,
  refOf,
} from './externalSecretsConfig';
import {
  ExternalSecretsControllerState,
  readExternalSecretsController,
} from './externalSecretsController';
import {
  EXTERNAL_SECRETS_OPERATORS,
  ExternalSecretsFlavour,
} from './operatorManifests';
import { holds } from './holds';
import { kubeNotFound, kubeStep } from './step';

const duration = (ms: number) =>
  ms < 1000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`;

const managedByUs = (o: Obj) =>
  (o.metadata?.managedFields ?? []).some(f => f.manager === FIELD_MANAGER);

/**
 * Ensures the configuration object the External Secrets operator of the
 * flavour waits for (see {@link EXTERNAL_SECRETS_CONFIGS}), then waits,
 * bounded, until the operator reports the controller deployed (see
 * {@link readExternalSecretsController}). Run it once the operator's
 * ClusterServiceVersion has Succeeded: the object's CRD comes with it.
 *
 * Created with server-side apply when missing, and applied again when ours
 * (our field manager) but changed; an object someone else made, or
 * (community) another OperatorConfig, is adopted as it is: a second
 * OperatorConfig would deploy a second controller. One being deleted is
 * never adopted: it waits (within the timeout) until the operator has
 * removed it, then creates ours. A dry run only reports.
 * The timeout names what is missing.
 *
 * @public
 */
export async function ensureExternalSecretsConfig(
  cluster: ClusterClient,
  flavour: ExternalSecretsFlavour,
  options: EnsureOptions & { timeoutMs?: number; pollMs?: number } = {},
): Promise<EnsureResult> {
  const desired = EXTERNAL_SECRETS_CONFIGS[flavour];
  const pkg = EXTERNAL_SECRETS_OPERATORS[flavour].package;
  let resource = describeObject(desired);
  const done: string[] = [];
  const timeoutMs = options.timeoutMs ?? 600_000;
  const intervalMs = options.pollMs ?? 500;
  let found = await kubeStep(resource, 'read', done, () =>
    findConfig(cluster, flavour),
  );
  const leaving = found.object?.metadata?.deletionTimestamp
    ? describeObject(found.object)
    : undefined;
  if (leaving && options.dryRun) {
    return {
      resource,
      action: 'would-create',
      changes: [`after ${leaving}, being deleted, is gone`],
    };
  }
  if (leaving) {
    // Adopting it would wait on a controller its operator is removing, and
    // applying to it cannot stop the deletion: wait until it is gone, then
    // go on as on a cluster without it.
    const after = await waitFor(
      async () => {
        const f = await kubeStep(resource, 'read', done, () =>
          findConfig(cluster, flavour),
        );
        return f.object?.metadata?.deletionTimestamp ? undefined : f;
      },
      { timeoutMs, intervalMs },
    );
    if (!after) {
      throw new EnsureError(
        leaving,
        'wait for the deletion to finish',
        'Timeout',
        done,
        undefined,
        `${leaving} is being deleted and still there after ${duration(
          timeoutMs,
        )}: its operator (${pkg}) removes the External Secrets controller and then its finalizer (is the operator running?); run again once it is gone`,
      );
    }
    done.push(`waited for ${leaving} to be deleted`);
    found = after;
  }
  let result: EnsureResult;
  const existing = found.object;
  if (!found.served && !options.dryRun) {
    throw kubeNotFound(
      resource,
      'read',
      done,
      `the ${desired.kind} CRD (${desired.apiVersion}) is not installed: install ${pkg} first (the operators step with externalSecrets)`,
    );
  }
  const apply = async () => {
    if (options.dryRun) return;
    await kubeStep(resource, 'apply', done, () => cluster.apply(desired));
    done.push(`applied ${resource}`);
  };
  if (!existing) {
    await apply();
    result = {
      resource,
      action: options.dryRun ? 'would-create' : 'created',
      changes: found.served
        ? []
        : [`after ${pkg} installs the ${desired.kind} CRD`],
    };
  } else if (
    describeObject(existing) === resource &&
    managedByUs(existing) &&
    !holds(existing.spec, desired.spec)
  ) {
    await apply();
    result = {
      resource,
      action: options.dryRun ? 'would-update' : 'updated',
      changes: ["spec set back to the bootstrap's"],
    };
  } else {
    resource = describeObject(existing);
    result = {
      resource,
      action: managedByUs(existing) ? 'unchanged' : 'adopted',
      changes: [],
    };
  }
  if (options.dryRun) return result;

  let last: ExternalSecretsControllerState | undefined;
  const state = await waitFor(
    async () => {
      last = await kubeStep(resource, 'read', done, () =>
        readExternalSecretsController(
          cluster,
          flavour,
          refOf(existing ?? desired),
        ),
      );
      return last.ready || last.failed ? last : undefined;
    },
    {
      timeoutMs,
      intervalMs,
      progress: options.onWaiting && {
        what: `${resource} (the External Secrets controller to be deployed)`,
        log: options.onWaiting,
      },
    },
  );
  if (!state?.ready) {
    throw new EnsureError(
      resource,
      'wait for the External Secrets controller',
      state ? 'Degraded' : 'Timeout',
      done,
      undefined,
      state
        ? `${pkg} reports: ${state.detail}`
        : `not running after ${duration(timeoutMs)}: ${
            last?.detail ?? 'nothing read'
          }`,
    );
  }
  result.changes.push(`controller running: ${state.detail}`);
  return result;
}
