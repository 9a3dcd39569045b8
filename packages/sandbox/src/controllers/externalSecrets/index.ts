/**
 * Simulated External Secrets Operator (external-secrets.io/v1), AWS Secrets
 * Manager provider only.
 *
 * SecretStores and ClusterSecretStores become Ready when their
 * `auth.secretRef` Secret exists with both keys and the key works against
 * the sandbox's AWS (see ../awsAccess.ts); they are re-validated every
 * `profile.esoReconcileMs` (a verified key is reused for 10 × that before
 * moto is asked again) and at once when a referenced Secret changes.
 * ExternalSecrets materialise their target Secret from Secrets Manager with
 * the store's credentials (authenticated, and authorized for
 * `secretsmanager:GetSecretValue` on the secret's ARN by the key's IAM
 * policies), and are synced again when their store becomes Ready. Deleting
 * an ExternalSecret deletes the Secret it owns (what Kubernetes' garbage
 * collector would do).
 *
 * Condition types, reasons and messages are ESO's:
 * `apis/externalsecrets/v1/secretstore_types.go` and
 * `externalsecret_types.go` (types and reasons),
 * `pkg/controllers/secretstore/common.go` ("store validated",
 * "unable to create client", "unable to validate store: %s"),
 * `pkg/controllers/externalsecret/externalsecret_controller.go` ("secret
 * synced", "could not get secret data from provider", ...),
 * `.../clientmanager/client_manager.go` (namespace conditions, "%s %q is not
 * ready", "using cluster store %q is not allowed from namespace %q: denied
 * by spec.condition"), `providers/v1/aws/auth/auth.go` (secretRef errors) and
 * `providers/v1/aws/secretsmanager` ("Secret does not exist", "key %s does
 * not exist in secret %s"). As in ESO, a failed sync's condition message is
 * the generic one and the cause goes to a Warning Event (reason
 * `UpdateFailed`) on the ExternalSecret; a store's client errors go to a
 * Warning Event (reason `InvalidProviderConfig`).
 *
 * Deliberately stricter than ESO: ESO's AWS provider "validates" a store
 * with static credentials without calling AWS, so a wrong key shows only at
 * sync time. The sandbox calls STS and reports `ValidationFailed` with the
 * AWS error, so a bad bootstrap key is visible on the store.
 *
 * Simplified: only `provider.aws` with `service: SecretsManager` and
 * `auth.secretRef` (no `role`, JWT or session tokens); `dataFrom.find`,
 * generators, `sourceRef`, decoding/conversion strategies and rewrites are
 * not supported (they fail the sync with a message saying so);
 * `target.template` supports `type`, `metadata` and `data` values whose Go
 * template actions are plain `{{ .key }}` lookups (anything else fails the
 * sync); long refresh intervals are capped at 20 × `esoReconcileMs`; the
 * flood gate is on (ESO's default): a store that is not Ready blocks syncs.
 *
 * Installed through OLM (a ClusterServiceVersion of `external-secrets-operator`
 * or `openshift-external-secrets-operator`), the controller reconciles
 * nothing until the operator's configuration object exists and the
 * operator reported it deployed (an OperatorConfig or the
 * ExternalSecretsConfig `cluster`, see `operatorConfig.ts`), as on a real
 * cluster; stores and ExternalSecrets then get no status at all. Without an
 * OLM install it stands for External Secrets installed another way (Helm)
 * and runs. `requireOperatorConfig: false` switches the wait off.
 *
 * Parts: `storeConfig.ts` (what a store says), `secretStores.ts` (store
 * status), `provider.ts` (Secrets Manager access), `externalSecret.ts` (the
 * ExternalSecret reconcile), `target.ts` (the target Secret),
 * `operatorConfig.ts` (the OLM operators' configuration objects and whether
 * the controller runs), `model.ts` (kinds, labels, messages, errors).
 */
import { AwsAccess } from '../awsAccess';
import { Controller, ControllerContext } from '../types';
import { startExternalSecretQueue } from './externalSecret';
import { ES, EsoRuntime, SECRET } from './model';
import { operandState, startOperatorConfigQueue } from './operatorConfig';
import { startSecretStoreQueue } from './secretStores';

/** Options of {@link startExternalSecretsController}. */
export interface ExternalSecretsControllerOptions {
  /**
   * Whether an External Secrets installed through OLM waits for its
   * operator's configuration object before it reconciles anything, as the
   * real operators do (default true).
   */
  requireOperatorConfig?: boolean;
}

/**
 * Starts the simulated External Secrets Operator (stores and
 * ExternalSecrets, and the OLM operators' configuration objects).
 */
export function startExternalSecretsController(
  ctx: ControllerContext,
  options: ExternalSecretsControllerOptions = {},
): Controller {
  const { store: kube, profile } = ctx;
  const access = new AwsAccess(ctx.aws, {
    cacheTtlMs: profile.esoReconcileMs * 10,
  });
  // Set by stop(): work still in flight must not write afterwards.
  let stopped = false;
  const required = options.requireOperatorConfig ?? true;
  let waiting: string | undefined;
  const operandRunning = () => {
    const state = operandState(kube, required);
    // Log the transitions only.
    if (state.waiting !== waiting) {
      ctx.log(
        state.waiting
          ? `external-secrets: controller not running: ${state.waiting}`
          : 'external-secrets: controller running',
      );
      waiting = state.waiting;
    }
    return state.running;
  };
  const rt: EsoRuntime = {
    ctx,
    access,
    stopped: () => stopped,
    operandRunning,
  };

  const configs = startOperatorConfigQueue(rt);
  const stores = startSecretStoreQueue(rt);
  const secrets = startExternalSecretQueue(rt);

  // Kubernetes' garbage collector deletes what an ExternalSecret owns
  // (creationPolicy Owner) when the ExternalSecret goes; the sandbox has no
  // GC, so the operator simulation does it for its own Secrets.
  const unwatchGc = kube.watch(ES.apiVersion, ES.kind, event => {
    if (event.type !== 'DELETED') return;
    const { uid, namespace } = event.object.metadata;
    setImmediate(() => {
      if (stopped) return;
      for (const s of kube.list(SECRET.apiVersion, SECRET.kind, {
        namespace,
      })) {
        if (
          s.metadata.ownerReferences?.some(r => r.uid === uid && r.controller)
        ) {
          try {
            kube.delete({ ...SECRET, namespace, name: s.metadata.name });
          } catch {
            // already gone
          }
        }
      }
    });
  });

  return {
    name: 'external-secrets',
    stop() {
      stopped = true;
      unwatchGc();
      access.destroy();
      configs.stop();
      stores.stop();
      secrets.stop();
    },
  };
}
