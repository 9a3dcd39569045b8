/**
 * Hostile and malformed API input (corpus/hostile-values.yaml) for every
 * body field, query parameter and path parameter of the logging-environments
 * API, sent by a caller who is allowed to do everything: each is a 400
 * naming the field and the rule (413 for a body too large to read), and
 * nothing is stored.
 */
import { Entity } from '@backstage/catalog-model';
import { Sandbox, startSandbox } from '@internal/sandbox';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'yaml';
import { testRecord } from '@internal/plugin-logging-environments-backend/testUtils';
import { openWorld } from '../environments/__testUtils__/bootstrapEnvironment';
import {
  orgEntities,
  PortalBackend,
  startPortalBackend,
} from '../environments/__testUtils__/portalBackend';
import { REPO_ROOT } from '../gitops/__testUtils__/kustomize';
import { corpusStrings, corpusValues } from './__testUtils__/corpus';
import { recordReliability } from './__testUtils__/summary';

jest.setTimeout(180_000);

const ENV = '/environments/default/acme-prod';

/** Free text: any printable string is fine, control characters are not. */
const FREE_TEXT_REFUSED =
  /^(NUL byte|escape character|huge|right-to-left override)$/;

interface Case {
  what: string;
  field: string;
  method: 'get' | 'post';
  path: string;
  body?: object;
}

function cases(): Case[] {
  const out: Case[] = [];
  const strings = corpusStrings();
  const all = [...strings, ...corpusValues()];
  for (const { why, value } of all) {
    for (const field of ['decision', 'role', 'revision']) {
      if (field === 'role' && value === '') continue;
      out.push({
        what: `approvals ${field}: ${why}`,
        field,
        method: 'post',
        path: `${ENV}/approvals`,
        body: { decision: 'approve', comment: 'ok', [field]: value },
      });
    }
    if (
      typeof value !== 'string' ||
      FREE_TEXT_REFUSED.test(why) ||
      value.length > 2000
    ) {
      out.push({
        what: `approvals comment: ${why}`,
        field: 'comment',
        method: 'post',
        path: `${ENV}/approvals`,
        body: { decision: 'approve', comment: value },
      });
    }
    out.push({
      what: `sync revision: ${why}`,
      field: 'revision',
      method: 'post',
      path: `${ENV}/sync`,
      body: { revision: value },
    });
  }
  out.push({
    // The validator names the rule, not the property (ajv's message).
    what: 'approvals: unknown property',
    field: 'additional properties',
    method: 'post',
    path: `${ENV}/approvals`,
    body: { decision: 'approve', comment: 'ok', admin: true },
  });
  out.push({
    what: 'approvals: body not an object',
    field: 'body',
    method: 'post',
    path: `${ENV}/approvals`,
    body: ['approve'],
  });
  for (const { why, value } of strings.filter(s => s.value.length < 4000)) {
    const q = encodeURIComponent(value);
    out.push({
      what: `list tier: ${why}`,
      field: 'tier',
      method: 'get',
      path: `/environments?tier=${q}`,
    });
    if (!/^\d+$/.test(value)) {
      for (const field of ['limit', 'offset']) {
        out.push({
          what: `list ${field}: ${why}`,
          field,
          method: 'get',
          path: `/environments?${field}=${q}`,
        });
      }
    }
    out.push({
      what: `history limit: ${why}`,
      field: 'limit',
      method: 'get',
      path: `${ENV}/history?limit=${q}`,
    });
    for (const field of ['namespace', 'name']) {
      // Entity names may contain dots; namespaces may not.
      const allowed =
        field === 'name'
          ? /^[a-z0-9]([-a-z0-9.]{0,61}[a-z0-9])?$/
          : /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
      if (value !== '' && !allowed.test(value)) {
        const path =
          field === 'namespace'
            ? `/environments/${q}/acme-prod`
            : `/environments/default/${q}`;
        out.push({ what: `path ${field}: ${why}`, field, method: 'get', path });
      }
    }
  }
  return out;
}

describe('hostile API input', () => {
  let sandbox: Sandbox;
  let portal: PortalBackend;

  const rowCounts = async () => {
    const tables: string[] = await portal
      .knex('sqlite_master')
      .where({ type: 'table' })
      .pluck('name');
    return Object.fromEntries(
      await Promise.all(
        tables.map(async t => [
          t,
          Number((await portal.knex(t).count({ n: '*' }))[0].n),
        ]),
      ),
    );
  };

  beforeAll(async () => {
    sandbox = await startSandbox({ profile: 'fast' });
    const world = await openWorld(sandbox);
    const examples = yaml
      .parseAllDocuments(
        readFileSync(join(REPO_ROOT, 'examples/entities.yaml'), 'utf8'),
      )
      .map(d => d.toJSON() as Entity)
      .filter(Boolean);
    // The example environment's record, as its bootstrap would write it.
    await world.records.records.create(testRecord({ name: 'acme-prod' }));
    portal = await startPortalBackend({
      config: world.config,
      entities: [...orgEntities(), ...examples],
      knex: world.records.knex,
    });
  });

  afterAll(async () => {
    await portal?.stop();
    await sandbox?.stop();
  });

  it('refuses every one with a 400 naming the field and the rule, and stores nothing', async () => {
    const before = await rowCounts();
    const wrong: string[] = [];
    const all = cases();
    expect(all.length).toBeGreaterThan(200);
    for (const c of all) {
      // The approver may approve and sync: only the input can be the problem.
      const res = await portal.call(c.method, c.path, 'approver', c.body);
      const message: string = res.body?.error?.message ?? '';
      // A body too large to read is refused before any field is looked at.
      if ([400, 413].includes(res.status) && /too large/.test(message)) {
        continue;
      }
      const named =
        res.status === 400 &&
        (message.includes(c.field) || c.field === 'body') &&
        /must|pattern|allowed|type|enum|additional|required|length|maximum|minimum|empty/i.test(
          message,
        );
      if (!named) wrong.push(`${c.what} -> ${res.status} ${message}`);
    }
    expect(wrong).toEqual([]);
    expect(await rowCounts()).toEqual(before);
    recordReliability('inputs rejected', all.length, 'API input');
  });
});
