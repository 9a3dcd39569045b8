/*
 * The whole journey in a real browser, against the portal on the sandbox
 * (`yarn start`): the requester creates a production environment from the
 * template, sees the checklist pass and that they cannot approve; the
 * security reviewer and the approver approve (each in a browser context of
 * their own: the demo sign-in keeps one user per tab); the approver syncs
 * and watches the waves reach Healthy without reloading; then the sample
 * service's card.
 *
 *   E2E_BASE_URL=http://localhost:3000 node --test plugins/logging-environments/e2e/portal.e2e.js
 *
 * E2E_ENVIRONMENT=acme-prod skips the template and runs the journey on an
 * existing environment (the sample one, whose health the checkout card
 * shows). Screenshots: test-artifacts/e2e/portal/.
 */
const { after, before, describe, it } = require('node:test');
const assert = require('node:assert/strict');
const {
  artifacts,
  assertNotReloaded,
  envPage,
  launch,
  markNoReload,
  until,
} = require('./lib');

const BASE_URL = (process.env.E2E_BASE_URL ?? 'http://localhost:3000').replace(
  /\/+$/,
  '',
);
const EXISTING = process.env.E2E_ENVIRONMENT;
const NAME = EXISTING ?? `e2e-${Date.now().toString(36)}`;
const SERVICE = process.env.E2E_SERVICE ?? 'component:default/checkout';
const USERS = {
  requester: 'Riley Requester',
  security: 'Sam Security',
  approver: 'Avery Approver',
};
const POLICY =
  'Production: security review + approval by two people other than the requester; manual sync';

const envUrl = `${BASE_URL}/catalog/default/resource/${NAME}/logging`;

describe('logging environments, full portal', { timeout: 1_200_000 }, () => {
  let browser;
  const { shot, dir } = artifacts('portal');

  before(async () => {
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
    process.stdout.write(`# screenshots in ${dir}\n`);
  });

  /** A page signed in as a demo user, in a context (a "tab") of its own. */
  async function signIn(who) {
    const context = await browser.newContext({
      viewport: { width: 1440, height: 2400 },
    });
    const page = await context.newPage();
    await page.goto(BASE_URL);
    await page
      .getByRole('button', { name: `Sign in as ${USERS[who]}` })
      .click();
    await page.getByRole('navigation').first().waitFor({ timeout: 60_000 });
    return page;
  }

  async function openEnvironment(page) {
    // The catalog may still be processing a new entity: reload until it is there.
    await until(
      async () => {
        await page.goto(envUrl);
        await page.getByText('Deployment phases').waitFor({ timeout: 15_000 });
        return true;
      },
      { timeout: 180_000, interval: 2000, what: `the Logging tab of ${NAME}` },
    );
  }

  let requester;

  it(
    'lets the requester create a production environment from the template',
    { skip: Boolean(EXISTING) },
    async () => {
      requester = await signIn('requester');
      await requester.goto(`${BASE_URL}/create`);
      const card = requester
        .locator('article, .MuiCard-root', {
          hasText: 'New logging environment',
        })
        .first();
      await card.getByRole('button', { name: /Choose/ }).click();

      await requester.getByLabel(/Environment name/).fill(NAME);
      await requester.getByLabel(/^Tier/).click();
      await requester.getByRole('option', { name: /^Production/ }).click();
      const owner = requester.getByLabel(/^Owner/);
      await owner.fill('platform-team');
      await requester
        .getByRole('option', { name: /platform-team/ })
        .first()
        .click();
      await shot(requester, '01-template-environment');
      await requester.getByRole('button', { name: /^Next/ }).click();

      await requester
        .getByLabel(/External Secrets access key id/)
        .fill('AKIAE2ETESTKEY000001');
      await requester
        .getByLabel(/External Secrets secret access key/)
        .fill('e2e-secret-access-key-0000000000');
      await requester.getByRole('button', { name: /^Next/ }).click();
      await requester.getByRole('button', { name: /^Review/ }).click();
      await shot(requester, '02-template-review');
      await requester.getByRole('button', { name: /^Create$/ }).click();

      const open = requester.getByRole('link', {
        name: /Open the logging environment/,
      });
      await open.waitFor({ timeout: 300_000 });
      await shot(requester, '03-template-done');
    },
  );

  it('shows the requester a passing checklist and why they cannot approve', async () => {
    requester ??= await signIn('requester');
    await openEnvironment(requester);
    await envPage.policy(requester, POLICY);
    const passing = await envPage
      .checklistPasses(requester, { timeout: 5_000 })
      .then(() => true)
      .catch(() => false);
    if (!passing) {
      await envPage.rerunChecks(requester);
      await envPage.checklistPasses(requester, { timeout: 180_000 });
    }
    await shot(requester, '04-checklist-passed');
    const reason = await envPage.approveDisabled(requester, /requester/);
    assert.match(reason, /requester/);
    await shot(requester, '05-requester-cannot-approve');
  });

  it('takes the security review from the security reviewer', async () => {
    const page = await signIn('security');
    await openEnvironment(page);
    await envPage.approve(page, 'Security review done by the e2e test', () =>
      shot(page, '06-security-review-dialog'),
    );
    await page
      .getByText(
        /1 of 2 required approvals given|2 of 2 required approvals given/,
      )
      .waitFor();
    await shot(page, '07-security-reviewed');
  });

  it('lets the approver approve, sync the named revision and watch the waves become healthy live', async () => {
    const page = await signIn('approver');
    await openEnvironment(page);
    await envPage.approve(page, 'Approved by the e2e test');
    await envPage.approvalsComplete(page);
    await shot(page, '08-approved');
    await markNoReload(page);
    const revision = await envPage.syncNow(page, () =>
      shot(page, '09-sync-confirmation'),
    );
    assert.match(revision, /^[0-9a-f]{7}$/);
    let midway = false;
    await envPage.wavesHealthy(page, {
      timeout: 600_000,
      onProgress: async texts => {
        if (!midway && texts.some(t => /^[1-9] of [2-9]/.test(t))) {
          midway = true;
          await shot(page, '10-sync-in-progress');
        }
      },
    });
    await page.getByTitle('Sync run: Succeeded').waitFor({ timeout: 120_000 });
    await assertNotReloaded(page);
    await shot(page, '11-synced-healthy');
  });

  it("shows the sample service's logging health", async () => {
    const page = await signIn('approver');
    const [kind, rest] = SERVICE.split(':');
    const [namespace, name] = rest.split('/');
    await page.goto(`${BASE_URL}/catalog/${namespace}/${kind}/${name}`);
    await page.getByText('logs go to').waitFor({ timeout: 60_000 });
    const loki = page.getByTitle(/^LokiStack health: /);
    await loki.waitFor({ timeout: 60_000 });
    // The sample service's logs go to acme-prod: healthy once that synced.
    if (EXISTING === 'acme-prod') {
      await page
        .getByTitle('LokiStack health: Healthy')
        .waitFor({ timeout: 120_000 });
      await page
        .getByTitle('ClusterLogForwarder health: Healthy')
        .waitFor({ timeout: 120_000 });
    }
    await shot(page, '12-service-card');
  });
});
