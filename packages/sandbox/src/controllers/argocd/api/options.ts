/** The options of the Argo CD API server and what it returns. */
import { ObjectStore } from '../../../kube/types';

/** Options of `startArgoCdApiServer`. */
export interface ArgoCdApiServerOptions {
  store: ObjectStore;
  /** The bearer token clients must present (header or `argocd.token` cookie). */
  token: string;
  /** Namespace of the Argo CD instance (`openshift-gitops`). */
  namespace: string;
  host?: string;
  port?: number;
  /** User name operations are initiated by (`admin`). */
  username?: string;
  /**
   * The sandbox git server, to resolve sync revisions to commit SHAs as the
   * real API server does; without it revisions are passed on as given.
   */
  git?: { url: string; repoDir: string };
  /** How long `GET ...?refresh=` waits for the controller (default 30 s). */
  refreshTimeoutMs?: number;
}

/** A running API server. */
export interface ArgoCdApiServer {
  /** Base URL, e.g. `http://127.0.0.1:12345`. */
  url: string;
  close(): Promise<void>;
}
