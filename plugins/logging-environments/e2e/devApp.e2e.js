/*
 * The plugin in a real browser, against its dev app (mock backend with
 * signals): every state renders, the requester cannot approve, an approver
 * approves and syncs, and the waves reach Healthy without a reload.
 *
 *   node --test plugins/logging-environments/e2e/devApp.e2e.js
 *
 * Starts the dev app itself on :3300 unless E2E_BASE_URL points at one.
 * Screenshots: test-artifacts/e2e/dev-app/.
 */
const { after, before, describe, it } = require('node:test');
const assert = require('node:assert/strict');
const {
  artifacts,
  assertNotReloaded,
  devAppSignIn,
  envPage,
  launch,
  markNoReload,
  startDevApp,
} = require('./lib');

const POLICY =
  'Production: security review + approval by two people other than the requester; manual sync';

describe('logging environments plugin, dev app', { timeout: 600_000 }, () => {
  let browser;
  let page;
  let devApp;
  let baseUrl = process.env.E2E_BASE_URL;
  const { shot, dir } = artifacts('dev-app');

  before(async () => {
    if (!baseUrl) {
      devApp = await startDevApp({
        port: Number(process.env.E2E_PORT ?? 3300),
      });
      baseUrl = devApp.url;
    }
    browser = await launch();
    const context = await browser.newContext({
      viewport: { width: 1440, height: 2400 },
    });
    page = await context.newPage();
  });

  after(async () => {
    await browser?.close();
    devApp?.stop();
    process.stdout.write(`# screenshots in ${dir}\n`);
  });

  async function open(path, ready) {
    await page.goto(`${baseUrl}${path}`);
    await devAppSignIn(page, ready);
  }

  it('shows the requester why they cannot approve', async () => {
    await open('/awaiting-approval', page.getByText('Deployment phases'));
    await envPage.policy(page, POLICY);
    await envPage.checklistPasses(page);
    // The reason is shown; the backend's exact words are asserted by
    // portal.e2e.js, against the real backend.
    await envPage.approveDisabled(page, /requester/);
    const sync = page.getByRole('button', { name: 'Sync now' });
    assert.equal(await sync.isDisabled(), true);
    await shot(page, '01-awaiting-approval-requester');
  });

  it('lets an approver approve with a comment, sync the named revision, and watch the waves turn healthy live', async () => {
    await open('/approve-and-sync', page.getByText('Deployment phases'));
    await envPage.checklistPasses(page);
    await envPage.approve(page, 'Reviewed in the e2e test', () =>
      shot(page, '02-approve-dialog'),
    );
    await envPage.approvalsComplete(page);
    await markNoReload(page);
    const revision = await envPage.syncNow(page, () =>
      shot(page, '03-sync-confirmation'),
    );
    assert.equal(revision, 'a1b2c3d');
    let midway = false;
    await envPage.wavesHealthy(page, {
      onProgress: async texts => {
        if (!midway && texts.some(t => /^[1-9] of [2-9]/.test(t))) {
          midway = true;
          await shot(page, '04-sync-in-progress');
        }
      },
    });
    await page.getByText('Succeeded').first().waitFor();
    await assertNotReloaded(page);
    await shot(page, '05-synced-healthy');
  });

  it('shows a progressing rollout', async () => {
    await open('/progressing', page.getByText('Deployment phases'));
    await page.getByText('Waiting for infrastructure').first().waitFor();
    await shot(page, '06-progressing');
  });

  it('shows a healthy environment', async () => {
    await open('/healthy', page.getByText('Deployment phases'));
    await envPage.wavesHealthy(page, { timeout: 10_000 });
    await shot(page, '07-healthy');
  });

  it("puts a failed wave's cause at the top", async () => {
    await open('/degraded', page.getByText('Deployment phases'));
    const cause = page.getByText(/MissingObjectStorageSecret/).first();
    await cause.waitFor();
    const [causeY, phasesY] = await Promise.all([
      cause.boundingBox().then(b => b.y),
      page
        .getByText('Deployment phases')
        .boundingBox()
        .then(b => b.y),
    ]);
    assert.ok(causeY < phasesY, 'the cause is above the phase header');
    await shot(page, '08-degraded');
  });

  it('shows a sync blocked by a sync window as blocked', async () => {
    await open('/blocked', page.getByText('Deployment phases'));
    await page.getByTitle('Sync run: Blocked').waitFor();
    await page.getByText(/deny sync window/).waitFor();
    await shot(page, '09-blocked');
  });

  it("shows the service's logging health", async () => {
    await open('/service', page.getByText('logs go to'));
    await page.getByText('Collected').waitFor();
    await page.getByTitle('LokiStack health: Healthy').waitFor();
    await page.getByTitle('ClusterLogForwarder health: Healthy').waitFor();
    await shot(page, '10-service-card');
    await open('/service-degraded', page.getByText('logs go to'));
    await page.getByTitle('LokiStack health: Degraded').waitFor();
    await shot(page, '11-service-card-degraded');
  });

  it('shows an entity without a record as not registered, and one that disagrees with its record as such', async () => {
    await open(
      '/not-registered',
      page.getByRole('heading', {
        name: 'Not a registered logging environment',
      }),
    );
    await page.getByText(/no trusted record exists for it/).waitFor();
    await shot(page, '12-not-registered');
    await open(
      '/does-not-match',
      page.getByRole('heading', {
        name: "Does not match its environment's record",
      }),
    );
    await page
      .getByText(
        'annotation logging-environments.io/tier says "development", the record says "production"',
      )
      .waitFor();
    if ((await page.getByRole('button', { name: 'Approve' }).count()) > 0) {
      throw new Error(
        'an entity that does not match its record offers Approve',
      );
    }
    await shot(page, '13-does-not-match');
  });
});
