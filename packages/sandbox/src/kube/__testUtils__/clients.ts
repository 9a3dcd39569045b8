/** Test helpers: clients of a {@link TestKube} server and their errors. */
import * as k8s from '@kubernetes/client-node';
import type { TestKube } from './testKube';

/** A client-node KubeConfig for the server, with its token or another one. */
export function kubeConfigFor(
  kube: TestKube,
  token: string = kube.token,
): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    // client-node refuses plain HTTP unless TLS verification is off.
    clusters: [
      { name: 'sandbox', server: kube.server.url, skipTLSVerify: true },
    ],
    users: [{ name: 'sandbox', token }],
    contexts: [{ name: 'sandbox', cluster: 'sandbox', user: 'sandbox' }],
    currentContext: 'sandbox',
  });
  return kc;
}

/** A raw request to the server with its token. */
export function callKube(
  kube: TestKube,
  path: string,
  init: RequestInit & { headers?: Record<string, string> } = {},
) {
  return fetch(`${kube.server.url}${path}`, {
    ...init,
    headers: { Authorization: `Bearer ${kube.token}`, ...init.headers },
  });
}

/** The ApiException a client-node call fails with. */
export async function apiException(
  p: Promise<unknown>,
): Promise<k8s.ApiException<any>> {
  try {
    await p;
  } catch (e) {
    if (e instanceof k8s.ApiException) return e;
    throw e;
  }
  throw new Error('expected an ApiException');
}

/** The `Status` body of an ApiException. */
export const statusOf = (e: k8s.ApiException<any>) =>
  typeof e.body === 'string' ? JSON.parse(e.body) : e.body;
