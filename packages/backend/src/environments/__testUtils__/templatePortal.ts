import catalogPlugin from '@backstage/plugin-catalog-backend';
import catalogModelModule from '@backstage/plugin-catalog-backend-module-scaffolder-entity-model';
import scaffolderPlugin from '@backstage/plugin-scaffolder-backend';
import scaffolderModule from '@internal/plugin-scaffolder-backend-module-logging-environments';
import type { Server } from 'node:http';
import { join } from 'node:path';
import request from 'supertest';
import { REPO_ROOT } from '../../gitops/__testUtils__/kustomize';
import { userHeader } from './portalBackend';

/** What a portal with the real catalog and scaffolder adds to startPortalBackend. */
export const TEMPLATE_PORTAL_FEATURES = [
  scaffolderPlugin,
  scaffolderModule,
  catalogPlugin,
  catalogModelModule,
];

/**
 * The catalog configuration of such a portal: the official template and
 * the example org, processed every second, and the kinds users may
 * register.
 */
export function templateCatalogConfig() {
  return {
    rules: [
      {
        allow: [
          'Component',
          'System',
          'Resource',
          'Location',
          'Template',
          'User',
          'Group',
        ],
      },
    ],
    locations: [
      {
        type: 'file',
        target: join(REPO_ROOT, 'templates/logging-environment/template.yaml'),
      },
      { type: 'file', target: join(REPO_ROOT, 'examples/org.yaml') },
    ],
    processingInterval: { seconds: 1 },
  };
}

/** Polls until `fn` gives a value, or throws naming what it waited for. */
export async function waitUntil<T>(
  what: string,
  fn: () => Promise<T | undefined>,
  ms = 60_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise(r => setTimeout(r, 250));
  }
}

/** Waits until the catalog has the official template. */
export function waitForTemplate(server: Server) {
  return waitUntil(
    'the template in the catalog',
    async () => {
      const res = await request(server)
        .get(
          '/api/catalog/entities/by-name/template/default/logging-environment',
        )
        .set('authorization', userHeader('requester'));
      return res.status === 200 ? true : undefined;
    },
    60_000,
  );
}

/**
 * Runs a template as a scaffolder task, as a user of the example org, and
 * waits for its end: its status, its log (every event's message), and the
 * task and its events as the API gave them.
 */
export async function runTemplateTask(
  server: Server,
  who: string,
  templateRef: string,
  values: object,
  secrets: object = {},
): Promise<{ status: string; log: string; task: any; events: any[] }> {
  const created = await request(server)
    .post('/api/scaffolder/v2/tasks')
    .set('authorization', userHeader(who))
    .send({ templateRef, values, secrets });
  if (created.status !== 201) {
    throw new Error(
      `the task was not created: ${created.status} ${created.text}`,
    );
  }
  const task = await waitUntil(
    'the task to end',
    async () => {
      const res = await request(server)
        .get(`/api/scaffolder/v2/tasks/${created.body.id}`)
        .set('authorization', userHeader(who));
      return ['completed', 'failed', 'cancelled'].includes(res.body.status)
        ? res.body
        : undefined;
    },
    300_000,
  );
  const events = await request(server)
    .get(`/api/scaffolder/v2/tasks/${created.body.id}/events`)
    .set('authorization', userHeader(who));
  return {
    status: task.status,
    log: events.body.map((e: any) => e.body?.message ?? '').join('\n'),
    task,
    events: events.body,
  };
}
