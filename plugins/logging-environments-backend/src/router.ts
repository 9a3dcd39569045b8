import { HttpAuthService } from '@backstage/backend-plugin-api';
import { ClusterRegistry } from '@internal/plugin-logging-environments-node';
import express from 'express';
import Router from 'express-promise-router';

/** @internal */
export interface RouterOptions {
  httpAuth: HttpAuthService;
  clusters: ClusterRegistry;
}

/** @internal */
export async function createRouter(
  options: RouterOptions,
): Promise<express.Router> {
  const { httpAuth, clusters } = options;
  const router = Router();
  router.use(express.json());

  router.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });

  // The clusters an environment may be created on; the template's cluster
  // picker reads this. Names and links only, never credentials.
  router.get('/clusters', async (req, res) => {
    await httpAuth.credentials(req, { allow: ['user', 'service'] });
    res.json({
      items: clusters.list().map(c => ({
        name: c.name,
        argocdUrl: c.argocdUrl,
        consoleUrl: c.consoleUrl,
      })),
    });
  });

  return router;
}
