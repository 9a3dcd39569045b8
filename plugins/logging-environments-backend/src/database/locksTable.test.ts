/**
 * Leases (withLock) through two DatabaseLoggingEnvironmentsStore instances
 * on one database, as two replicas would hold them, on every supported
 * database.
 */
import { mockServices } from '@backstage/backend-test-utils';
import { ConflictError } from '@backstage/errors';
import { Knex, knex as createKnex } from 'knex';
import { DatabaseLoggingEnvironmentsStore } from './DatabaseLoggingEnvironmentsStore';
import {
  clearTables,
  createStore,
  ENV,
  requiredDatabaseIds,
  storeTestDatabases,
} from './__testUtils__/storeTestDatabases';

jest.setTimeout(60_000);

const databases = storeTestDatabases();
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

it('runs on PostgreSQL as well as SQLite in CI', () => {
  const ids = databases.eachSupportedId().map(([id]) => id);
  expect(ids).toEqual(expect.arrayContaining(requiredDatabaseIds()));
});

describe.each(databases.eachSupportedId())(
  'withLock across two replicas (%s)',
  databaseId => {
    let knex: Knex;
    let second: Knex;
    let a: DatabaseLoggingEnvironmentsStore;
    let b: DatabaseLoggingEnvironmentsStore;

    beforeAll(async () => {
      ({ knex, store: a } = await createStore(databases, databaseId));
      // A replica of its own: another connection pool to the same database.
      // SQLite's test database lives in memory, visible to one connection
      // only, so there the two stores share the pool.
      second =
        databaseId === 'SQLITE_3' ? knex : createKnex(knex.client.config);
      b = await DatabaseLoggingEnvironmentsStore.create({
        database: mockServices.database({
          knex: second,
          migrations: { skip: false },
        }),
      });
    });

    afterEach(async () => {
      await clearTables(knex);
    });

    afterAll(async () => {
      if (second !== knex) await second.destroy();
    });

    it('lets one holder at a time run, whichever replica asks', async () => {
      let inside = 0;
      let most = 0;
      const order: string[] = [];
      const work = (name: string) => async () => {
        inside++;
        most = Math.max(most, inside);
        order.push(`${name} in`);
        await sleep(20);
        order.push(`${name} out`);
        inside--;
        return name;
      };

      const names = Array.from(
        { length: 8 },
        (_, i) => `${i % 2 ? 'b' : 'a'}${i}`,
      );
      const results = await Promise.all(
        names.map(name =>
          (name.startsWith('a') ? a : b).withLock(
            `approval:${ENV}`,
            work(name),
          ),
        ),
      );

      expect(results).toEqual(names);
      expect(most).toBe(1);
      expect(order).toHaveLength(16);
      for (let i = 0; i < order.length; i += 2) {
        expect(order[i + 1]).toBe(order[i].replace(' in', ' out'));
      }
      expect(Number((await knex('locks').count({ n: '*' }))[0].n)).toBe(0);
    });

    it('tells a caller that waited, and not the one that did not', async () => {
      let release!: () => void;
      const held = new Promise<void>(r => {
        release = r;
      });
      let entered!: () => void;
      const inside = new Promise<void>(r => {
        entered = r;
      });
      const first = a.withLock('checklist:x', async grant => {
        entered();
        await held;
        return grant.waited;
      });
      await inside;
      const later = b.withLock('checklist:x', async grant => grant.waited);
      await sleep(150);
      release();

      expect(await first).toBe(false);
      expect(await later).toBe(true);
    });

    it('keeps keys apart', async () => {
      let release!: () => void;
      const held = new Promise<void>(r => {
        release = r;
      });
      const first = a.withLock('approval:one', () => held);
      await sleep(20);
      const other = await b.withLock('approval:two', async g => g.waited);
      expect(other).toBe(false);
      release();
      await first;
    });

    it('gives up with a ConflictError while the lease stays held', async () => {
      let release!: () => void;
      const held = new Promise<void>(r => {
        release = r;
      });
      const first = a.withLock('approval:busy', () => held);
      await sleep(20);

      await expect(
        b.withLock('approval:busy', async () => 'ran', { waitMs: 200 }),
      ).rejects.toThrow(ConflictError);
      release();
      await first;
      expect(await b.withLock('approval:busy', async () => 'ran')).toBe('ran');
    });

    it('renews the lease while the work runs', async () => {
      let release!: () => void;
      const held = new Promise<void>(r => {
        release = r;
      });
      // A lease of 150 ms that the work outlives three times over.
      const first = a.withLock('approval:long', () => held, { leaseMs: 150 });
      await sleep(450);

      await expect(
        b.withLock('approval:long', async () => 'ran', { waitMs: 100 }),
      ).rejects.toThrow(ConflictError);
      release();
      await first;
    });

    it('takes over the lease of a holder that died', async () => {
      // What a replica killed mid-work leaves: a row nobody renews.
      await knex('locks').insert({
        key: 'approval:orphan',
        holder: '00000000-0000-4000-8000-000000000000',
        expires_at: Date.now() - 1,
      });

      expect(
        await b.withLock('approval:orphan', async g => g.waited, {
          waitMs: 1_000,
        }),
      ).toBe(false);
      expect(Number((await knex('locks').count({ n: '*' }))[0].n)).toBe(0);
    });

    it('releases the lease when the work throws', async () => {
      await expect(
        a.withLock('approval:fails', async () => {
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      expect(
        await b.withLock('approval:fails', async g => g.waited, {
          waitMs: 100,
        }),
      ).toBe(false);
    });
  },
);
