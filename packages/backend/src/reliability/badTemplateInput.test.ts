/**
 * Hostile and malformed template parameters (corpus/hostile-values.yaml),
 * each sent to the real scaffolder as a new task of the real template
 * against the sandbox: every one is refused before any side effect, with a
 * message naming the field and the rule, and the sandbox (Kubernetes
 * objects, AWS, the GitOps repository) is exactly as before.
 */
import { mockCredentials } from '@backstage/backend-test-utils';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import catalogModelModule from '@backstage/plugin-catalog-backend-module-scaffolder-entity-model';
import scaffolderPlugin from '@backstage/plugin-scaffolder-backend';
import scaffolderModule from '@internal/plugin-scaffolder-backend-module-logging-environments';
import { Sandbox, startSandbox } from '@internal/sandbox';
import { join } from 'node:path';
import request from 'supertest';
import { REPO_ROOT } from '../gitops/__testUtils__/kustomize';
import { startPortalBackend } from '../gitops/__testUtils__/portal';
import {
  corpusStrings,
  corpusValues,
  sandboxSnapshot,
} from './__testUtils__/corpus';
import { recordReliability } from './__testUtils__/summary';

jest.setTimeout(300_000);

const user = mockCredentials.user.header('user:default/requester');

const valid = {
  name: 'acme-prod',
  tier: 'production',
  owner: 'group:default/platform-team',
  cluster: 'sandbox',
  region: 'us-east-2',
  tlsStrategy: 'system-ca',
};

/**
 * Every string parameter of the template and the hostile strings it must
 * refuse: all of them, except that an empty optional field means "the
 * default".
 */
const STRING_FIELDS: Record<string, { optional?: boolean }> = {
  name: {},
  tier: {},
  owner: {},
  cluster: {},
  region: {},
  bucketName: { optional: true },
  kmsKeyId: { optional: true },
  lokiSize: { optional: true },
  tlsStrategy: {},
};

interface Case {
  field: string;
  why: string;
  values: Record<string, unknown>;
  secrets?: Record<string, unknown>;
}

function cases(): Case[] {
  const out: Case[] = [];
  for (const [field, { optional }] of Object.entries(STRING_FIELDS)) {
    for (const { why, value } of corpusStrings()) {
      if (optional && value === '') continue;
      out.push({ field, why, values: { ...valid, [field]: value } });
    }
    for (const { why, value } of corpusValues()) {
      if (value === null && optional) continue;
      out.push({ field, why, values: { ...valid, [field]: value } });
    }
  }
  for (const { why, value } of [
    ...corpusStrings(),
    ...corpusValues().filter(v => typeof v.value !== 'number'),
    { why: 'zero', value: 0 },
    { why: 'negative', value: -1 },
    { why: 'fraction', value: 1.5 },
    { why: 'ten years and a day', value: 3651 },
  ]) {
    out.push({
      field: 'retentionDays',
      why,
      values: { ...valid, retentionDays: value },
    });
  }
  for (const { why, value } of corpusStrings()) {
    out.push({
      field: 'approverGroups',
      why: `item: ${why}`,
      values: { ...valid, approverGroups: [value] },
    });
  }
  for (const { why, value } of corpusValues().filter(
    v => typeof v.value !== 'boolean',
  )) {
    out.push({
      field: 'installOperators',
      why,
      values: { ...valid, installOperators: value },
    });
  }
  // Secrets are opaque, but must be one line of sane length.
  for (const { why, value } of corpusStrings().filter(s =>
    /^(empty|newline|carriage return|NUL byte|overlong|huge|whitespace only)$/.test(
      s.why,
    ),
  )) {
    for (const field of ['awsAccessKeyId', 'awsSecretAccessKey']) {
      out.push({
        field,
        why,
        values: valid,
        secrets: {
          awsAccessKeyId: 'FAKEHOSTILETESTKEY01',
          awsSecretAccessKey: 'hostile-test-secret-00001',
          [field]: value,
        },
      });
    }
  }
  return out;
}

describe('hostile template parameters', () => {
  let sandbox: Sandbox;
  let server: any;

  beforeAll(async () => {
    sandbox = await startSandbox({ profile: 'fast' });
    ({ server } = await startPortalBackend(
      sandbox,
      [scaffolderPlugin, scaffolderModule, catalogPlugin, catalogModelModule],
      {
        catalog: {
          rules: [{ allow: ['Template', 'Resource', 'Location'] }],
          locations: [
            {
              type: 'file',
              target: join(
                REPO_ROOT,
                'templates/logging-environment/template.yaml',
              ),
            },
          ],
          processingInterval: { seconds: 1 },
        },
      },
    ));
    const deadline = Date.now() + 60_000;
    for (;;) {
      const res = await request(server)
        .get(
          '/api/catalog/entities/by-name/template/default/logging-environment',
        )
        .set('authorization', user);
      if (res.status === 200) break;
      if (Date.now() > deadline) throw new Error('template not in the catalog');
      await new Promise(r => setTimeout(r, 250));
    }
  }, 120_000);
  afterAll(() => sandbox?.stop());

  it('refuses every one before any side effect, naming the field and the rule', async () => {
    const before = await sandboxSnapshot(sandbox);
    const all = cases();
    expect(all.length).toBeGreaterThan(250);
    const slipped: string[] = [];
    const unnamed: string[] = [];
    for (const c of all) {
      const res = await request(server)
        .post('/api/scaffolder/v2/tasks')
        .set('authorization', user)
        .send({
          templateRef: 'template:default/logging-environment',
          values: c.values,
          secrets: c.secrets ?? {
            awsAccessKeyId: 'FAKEHOSTILETESTKEY01',
            awsSecretAccessKey: 'hostile-test-secret-00001',
          },
        });
      const label = `${c.field} (${c.why})`;
      if (res.status === 413) continue; // too large to even parse: refused
      if (res.status !== 400) {
        slipped.push(`${label}: ${res.status}`);
        continue;
      }
      const messages: string[] = (res.body.errors ?? [res.body.error]).map(
        (e: any) => `${e.property ?? ''} ${e.stack ?? e.message ?? ''}`,
      );
      // The field, and a rule in words (not just "invalid").
      const named = messages.some(
        m =>
          m.includes(c.field) &&
          /pattern|must|enum|type|required|length|minimum|maximum|allowed/i.test(
            m,
          ),
      );
      if (!named) unnamed.push(`${label}: ${messages.join(' | ')}`);
    }
    expect(slipped).toEqual([]);
    expect(unnamed).toEqual([]);
    expect(await sandboxSnapshot(sandbox)).toEqual(before);
    recordReliability('inputs rejected', all.length, 'template parameters');
  });

  it('stops a request the form cannot judge at the first step, before any side effect', async () => {
    const before = await sandboxSnapshot(sandbox);
    const res = await request(server)
      .post('/api/scaffolder/v2/tasks')
      .set('authorization', user)
      .send({
        templateRef: 'template:default/logging-environment',
        values: { ...valid, cluster: 'elsewhere' },
        secrets: {
          awsAccessKeyId: 'FAKEHOSTILETESTKEY01',
          awsSecretAccessKey: 'hostile-test-secret-00001',
        },
      });
    expect(res.status).toBe(201);
    let task: any;
    for (let i = 0; i < 240; i++) {
      task = (
        await request(server)
          .get(`/api/scaffolder/v2/tasks/${res.body.id}`)
          .set('authorization', user)
      ).body;
      if (['completed', 'failed', 'cancelled'].includes(task.status)) break;
      await new Promise(r => setTimeout(r, 250));
    }
    expect(task.status).toBe('failed');
    const events = (
      await request(server)
        .get(`/api/scaffolder/v2/tasks/${res.body.id}/events`)
        .set('authorization', user)
    ).body;
    const log = events.map((e: any) => e.body?.message ?? '').join('\n');
    expect(log).toContain('cluster: must be a configured cluster (sandbox)');
    // Only the validate step ran.
    const started = events
      .filter((e: any) => e.body?.status === 'processing' && e.body?.stepId)
      .map((e: any) => e.body.stepId);
    expect([...new Set(started)]).toEqual(['validate']);
    expect(await sandboxSnapshot(sandbox)).toEqual(before);
  });
});
