/**
 * What the refresh and the operation steps use of the Argo CD application
 * controller, and what it keeps per Application.
 */
import { KubeObject } from '../../../kube/types';
import { ControllerContext } from '../../types';
import { ManifestRenderer } from '../render';
import { Application, AppProject } from '../types';

/** What {@link startArgoCdController} needs besides the common context. */
export interface ArgoCdControllerContext extends ControllerContext {
  /** The sandbox git server (see `startGitServer`). */
  git: { url: string; repoDir: string };
}

/** The controller as its reconcile steps see it. */
export interface AppControllerRuntime {
  ctx: ArgoCdControllerContext;
  renderer: ManifestRenderer;
  /** Real Argo CD durations are scaled by the profile (1 s → argoReconcileMs). */
  scale: number;
  /** Whether per-resource health is written into `status.resources` (2.x). */
  persistResourceHealth: boolean;
  getApp(key: string): Application | undefined;
  getProject(app: Application): AppProject | undefined;
  /** Re-reads the app, applies `mutate` and writes it if anything changed. */
  patchApp(
    key: string,
    mutate: (app: Application) => void,
  ): Application | undefined;
  /**
   * Queues a reconcile of an app, now or after `delayMs`; with `latest` it
   * compares with the latest revision instead of the one last compared.
   */
  schedule(key: string, latest: boolean, delayMs?: number): void;
  /** Writes a Kubernetes Event about the app, as Argo CD's audit logger does. */
  event(
    app: Application,
    reason: string,
    message: string,
    type?: 'Normal' | 'Warning',
  ): void;
}

/** What the controller keeps per Application between reconciles. */
export interface AppState {
  /** Whether the next reconcile compares with the latest revision. */
  latest: boolean;
  /** No operation step before this time (wave delay, retry backoff). */
  holdUntil: number;
  /** What users change in the app, to ignore the controller's own writes. */
  fingerprint?: string;
  lastSelfHeal?: number;
}

/** An Application's key: `<namespace>/<name>`. */
export function appKey(app: KubeObject) {
  return `${app.metadata.namespace}/${app.metadata.name}`;
}
