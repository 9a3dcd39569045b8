/**
 * The sandbox's Kubernetes API server: wires the handlers of this folder
 * (routing, discovery, CRUD, patch and apply, the status subresource,
 * watch, auth, faults) to an HTTP or HTTPS listener.
 */
import {
  IncomingMessage,
  Server,
  ServerResponse,
  createServer,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { AddressInfo } from 'node:net';
import type { FaultInjector } from '../../faults';
import { CrdAdmission, createCrdAdmission } from '../admission';
import { WatchHistory } from '../history';
import { MemoryObjectStore } from '../store';
import { TableRenderer } from '../table';
import { TlsCertificate, selfSignedCertificate } from '../tls';
import { ApiError } from '../types';
import { bearerTokenCheck } from './auth';
import { ServerContext } from './context';
import { CRD_TYPE } from './crds';
import { discoveryRoutes } from './discoveryRoutes';
import { HttpStatus, statusOf } from './errors';
import { send } from './http';
import { requestHandler } from './routing';

/** Options of {@link startKubeApiServer}. */
export interface KubeApiServerOptions {
  /** The objects served. */
  store: MemoryObjectStore;
  /** The bearer token every request (but health checks) must carry. */
  token: string;
  /** Fault rules applied per request, as `<verb>:<plural>` of target `kube`. */
  faults?: FaultInjector;
  /** Interface to listen on; `127.0.0.1` by default. */
  host?: string;
  /** Port; 0 (the default) picks a free one. */
  port?: number;
  /**
   * Serve HTTPS: `true` for a fresh self-signed certificate, or a given
   * one. kubectl needs this: client-go sends a kubeconfig's credentials
   * only over TLS, so against plain HTTP every kubectl call is a 401.
   * Plain HTTP by default (enough for `@kubernetes/client-node`).
   */
  tls?: boolean | TlsCertificate;
  /**
   * Request-level admission: the `fieldValidation` policy and schema
   * validation before anything is stored (so dry runs and status writes are
   * validated too). A new {@link createCrdAdmission} by default; give the
   * store the same one so in-process writes are pruned and validated alike.
   */
  admission?: CrdAdmission;
  /** Watch events kept per type for resuming watches; 1000 by default. */
  watchHistory?: number;
  /** How often a watch with `allowWatchBookmarks` gets a BOOKMARK; 60 s by default. */
  bookmarkIntervalMs?: number;
  /**
   * How often the store is compacted to the revision it had at the
   * previous compaction, as the API server compacts etcd
   * (`--etcd-compaction-interval`, 5 minutes by default); 0 never.
   */
  compactionIntervalMs?: number;
  /**
   * How long a list at a resourceVersion newer than the store's waits for
   * it before answering 504 (3 s, as the watch cache).
   */
  freshnessTimeoutMs?: number;
  /** Where the CRDs (for printer columns) are; the shipped ones by default. */
  crdDir?: string;
  /** Receives a line for each unexpected (500) error. */
  log?: (line: string) => void;
}

/** A running API server. */
export interface KubeApiServer {
  /** `http://127.0.0.1:<port>` (`https://` with `tls`). */
  url: string;
  /**
   * With `tls`: the server certificate (its own CA), base64-encoded PEM, as
   * a kubeconfig's `certificate-authority-data` and client-node's `caData`.
   */
  caData?: string;
  /** Ends open watches and connections, then stops listening. */
  close(): Promise<void>;
}

/**
 * Starts the sandbox's Kubernetes API server: HTTP (or HTTPS with `tls`) on
 * loopback with bearer-token auth, legacy and aggregated discovery, OpenAPI v3 (enough for
 * kubectl's field validation and apply), CRUD, patch (JSON, merge,
 * strategic merge, server-side apply), the status subresource, watches
 * that resume from a resourceVersion, Table output for `kubectl get`, and
 * fault injection.
 */
export async function startKubeApiServer(
  options: KubeApiServerOptions,
): Promise<KubeApiServer> {
  const { store } = options;
  const ctx: ServerContext = {
    store,
    admission: options.admission ?? createCrdAdmission(),
    history: new WatchHistory(store, options.watchHistory ?? 1000),
    tables: new TableRenderer(options.crdDir),
    bookmarkIntervalMs: options.bookmarkIntervalMs ?? 60_000,
    freshnessTimeoutMs: options.freshnessTimeoutMs ?? 3_000,
    watches: new Set(),
  };
  const compactionIntervalMs = options.compactionIntervalMs ?? 5 * 60_000;
  let lastCompactionPoint = Number(store.currentRevision());
  const compactor =
    compactionIntervalMs > 0
      ? setInterval(() => {
          store.compact(lastCompactionPoint);
          lastCompactionPoint = Number(store.currentRevision());
        }, compactionIntervalMs)
      : undefined;
  compactor?.unref();
  let address = '';
  const handle = requestHandler(ctx, {
    authorized: bearerTokenCheck(options.token),
    discovery: discoveryRoutes([...store.types(), CRD_TYPE], () => address),
    faults: options.faults,
  });

  const certificate =
    options.tls === true ? selfSignedCertificate() : options.tls || undefined;
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch(error => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (error instanceof HttpStatus) {
        send(res, error.body.code, error.body, error.headers);
      } else if (error instanceof ApiError) {
        send(res, error.code, error.toStatus());
      } else if (error instanceof SyntaxError) {
        send(res, 400, statusOf(400, error.message));
      } else {
        options.log?.(
          `kube api: ${req.method} ${req.url}: ${
            (error as Error)?.stack ?? error
          }`,
        );
        send(
          res,
          500,
          statusOf(
            500,
            `Internal error occurred: ${(error as Error)?.message ?? error}`,
          ),
        );
      }
    });
  };
  const server: Server = certificate
    ? createHttpsServer(certificate, listener)
    : createServer(listener);

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host ?? '127.0.0.1';
  address = `${host}:${port}`;

  return {
    url: `${certificate ? 'https' : 'http'}://${
      host.includes(':') ? `[${host}]` : host
    }:${port}`,
    ...(certificate
      ? { caData: Buffer.from(certificate.cert).toString('base64') }
      : {}),
    close: async () => {
      if (compactor) clearInterval(compactor);
      ctx.history.stop();
      [...ctx.watches].forEach(end => end());
      await new Promise<void>(resolve => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
