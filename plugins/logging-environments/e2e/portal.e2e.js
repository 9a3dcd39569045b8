/*
 * The whole journey in a real browser, against the portal on the sandbox
 * (`yarn start`, or `yarn test:e2e`, which starts both on a fresh sandbox
 * and runs this):
 *
 * 1. the requester creates the production environment `acme-prod` from the
 *    template, in the scaffolder's form;
 * 2. opens its Logging tab, runs the checklist until it passes, and sees
 *    why they cannot approve;
 * 3. the security reviewer and the approver each approve (each in a browser
 *    context of their own: the demo sign-in keeps one user per tab);
 * 4. the approver syncs the named revision and watches the waves reach
 *    Healthy without reloading;
 * 5. the sample service `checkout` shows its logging healthy.
 *
 * Why `acme-prod`: the sample service's logs go to it (examples/entities.yaml
 * lists it, with the annotations the template writes), and the sandbox has
 * one cluster, which holds one logging environment; so the environment the
 * requester creates is the sample one, from an empty sandbox. A fresh
 * sandbox and backend are expected (the approvals of a previous run would
 * still be there): `yarn start --reset`, or `yarn test:e2e`.
 *
 *   E2E_BASE_URL=http://localhost:3000 node --test plugins/logging-environments/e2e/portal.e2e.js
 *
 * SANDBOX_ROOT as for the portal (the test reads .sandbox/sandbox.json to
 * prepare the External Secrets identity); E2E_SKIP_TEMPLATE=1 starts at
 * step 2 on an environment created before. Screenshots:
 * test-artifacts/e2e/portal/.
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
const { externalSecretsKey, readSandbox } = require('./sandbox');

const BASE_URL = (process.env.E2E_BASE_URL ?? 'http://localhost:3000').replace(
  /\/+$/,
  '',
);
const NAME = 'acme-prod';
/** The template's default region, which the journey keeps. */
const REGION = 'us-east-2';
const SKIP_TEMPLATE = process.env.E2E_SKIP_TEMPLATE === '1';
const SERVICE = {
  path: '/catalog/default/component/checkout',
  name: 'checkout',
};
const USERS = {
  requester: 'Riley Requester',
  security: 'Sam Security',
  approver: 'Avery Approver',
  viewer: 'Val Viewer',
};
const POLICY =
  'Production: security review + approval by two people other than the requester; manual sync';

const envUrl = `${BASE_URL}/catalog/default/resource/${NAME}/logging`;

describe('logging environments, full portal', { timeout: 900_000 }, () => {
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
  async function signIn(who, { screenshot } = {}) {
    const context = await browser.newContext({
      viewport: { width: 1440, height: 1200 },
    });
    const page = await context.newPage();
    await page.goto(BASE_URL);
    const button = page.getByRole('button', {
      name: `Sign in as ${USERS[who]}`,
    });
    await button.waitFor({ timeout: 60_000 });
    if (screenshot) await shot(page, screenshot);
    await button.click();
    // Signed in once the app's sidebar is there; a failed sign-in shows the
    // users again with a warning.
    const signedIn = page
      .getByRole('navigation', { name: 'sidebar nav' })
      .getByRole('link', { name: 'Settings' });
    const failed = page.getByRole('button', { name: /Sign-in failed/ });
    const outcome = await Promise.race([
      signedIn.waitFor({ timeout: 60_000 }).then(() => 'ok'),
      failed.waitFor({ timeout: 60_000 }).then(() => 'failed'),
    ]);
    if (outcome === 'failed') {
      await failed.click();
      const alert = await page.getByRole('alert').first().innerText();
      throw new Error(`sign-in as ${USERS[who]} failed: ${alert}`);
    }
    return page;
  }

  /** The environment's Logging tab, by its URL (a link someone shared). */
  async function openEnvironment(page) {
    await page.goto(envUrl);
    await page.getByText('Deployment phases').waitFor({ timeout: 60_000 });
    await envPage.policy(page, POLICY);
  }

  let requester;
  /** The commit the bootstrap published (what the approvals and the sync are for). */
  let commit;

  it(
    'lets the requester create the production environment from the template',
    { skip: SKIP_TEMPLATE },
    async () => {
      // The platform team's preparation outside the portal: an AWS
      // identity for External Secrets, whose key the requester is given.
      const key = await externalSecretsKey(readSandbox(), {
        environment: NAME,
        region: REGION,
      });

      requester = await signIn('requester', { screenshot: '01-sign-in' });
      await requester
        .getByRole('navigation', { name: 'sidebar nav' })
        .getByRole('link', { name: 'Create...' })
        .click();
      const card = requester.getByRole('article').filter({
        has: requester.getByRole('heading', {
          name: 'New logging environment',
        }),
      });
      await card.getByRole('button', { name: 'Choose' }).click();

      // Step 1: Environment.
      const form = requester.getByRole('main');
      const name = form.getByRole('textbox', { name: 'Environment name' });
      // Its help names what the name is used for (placeholders included).
      await form
        .getByText(
          'It names the Argo CD Applications (<name>-logging-infrastructure)',
          { exact: false },
        )
        .waitFor();
      await name.fill(NAME);
      await form.getByRole('button', { name: /^Tier / }).click();
      await requester.getByRole('option', { name: /^Production: / }).click();
      const owner = form.getByRole('textbox', { name: 'Owner' });
      await owner.click();
      await owner.fill('platform-team');
      await requester
        .getByRole('listbox', { name: 'Owner' })
        .getByRole('option', { name: 'platform-team', exact: true })
        .click();
      assert.equal(
        await form.getByRole('textbox', { name: 'Cluster' }).inputValue(),
        'sandbox',
      );
      // An empty sandbox has no operators yet.
      await form
        .getByRole('checkbox', { name: 'Install the operators' })
        .check();
      await shot(requester, '02-template-environment');
      await form.getByRole('button', { name: 'Next' }).click();

      // Step 2: AWS (region and bucket keep their defaults).
      await form
        .getByText('Leave empty for <name>-loki.', { exact: false })
        .waitFor();
      await form
        .getByRole('textbox', { name: 'External Secrets access key id' })
        .fill(key.accessKeyId);
      await form
        .getByRole('textbox', { name: 'External Secrets secret access key' })
        .fill(key.secretAccessKey);
      await shot(requester, '03-template-aws');
      await form.getByRole('button', { name: 'Next' }).click();

      // Step 3: Logging stack (the tier's defaults), then the review.
      await form.getByRole('button', { name: 'Review' }).click();
      const review = form.getByRole('table');
      await review
        .getByRole('row', { name: `Environment name ${NAME}` })
        .waitFor();
      await review.getByRole('row', { name: /^Tier Production: / }).waitFor();
      // The credentials are task secrets: never shown back.
      const shown = await review.innerText();
      assert.ok(!shown.includes(key.secretAccessKey));
      assert.ok(!shown.includes(key.accessKeyId));
      await shot(requester, '04-template-review');
      await form.getByRole('button', { name: 'Create' }).click();

      // The task page: every step, then the output links.
      const open = requester.getByRole('link', {
        name: 'Open the logging environment',
      });
      try {
        await open.waitFor({ timeout: 300_000 });
      } catch (e) {
        await shot(requester, '05-template-failed');
        throw e;
      }
      const done = await requester.getByText('Phase 1 is done for').innerText();
      [, commit] = done.match(/\(commit ([0-9a-f]{40})\)/) ?? [];
      assert.ok(commit, `no commit in "${done}"`);
      await shot(requester, '05-template-done');

      // Its link leads to the environment; its Logging tab.
      await open.click();
      await requester.getByRole('tab', { name: 'Logging' }).click();
      await requester.getByText('Deployment phases').waitFor();
      await envPage.policy(requester, POLICY);
      assert.match(
        requester.url(),
        /\/catalog\/default\/resource\/acme-prod\/logging$/,
      );
      await shot(requester, '06-environment-new');
    },
  );

  it('shows the requester a passing checklist and why they cannot approve', async () => {
    if (!requester) {
      requester = await signIn('requester');
      await openEnvironment(requester);
    }
    // Right after the bootstrap the operators may still be reconciling
    // (the store's validation, Argo CD's first compare): run the checks
    // again until they pass, as a requester would.
    await until(
      async () => {
        await envPage.rerunChecks(requester);
        return envPage
          .checklistPasses(requester, { timeout: 1_000 })
          .then(() => true)
          .catch(() => false);
      },
      { timeout: 180_000, interval: 3_000, what: 'a passing checklist' },
    );
    const reason = await envPage.approveDisabled(requester, /requester/);
    assert.match(
      reason,
      /the requester of a production environment cannot approve it/,
    );
    assert.equal(
      await requester.getByRole('button', { name: 'Sync now' }).isDisabled(),
      true,
    );
    await shot(requester, '07-checklist-passed-requester-cannot-approve');
  });

  it('takes the security review from the security reviewer', async () => {
    const page = await signIn('security');
    await openEnvironment(page);
    await envPage.checklistPasses(page, { timeout: 10_000 });
    await envPage.approve(page, 'Security review done by the e2e test', () =>
      shot(page, '08-security-review-dialog'),
    );
    await page.getByText('1 of 2 required approvals given').waitFor();
    await page
      .getByRole('table', { name: 'Required approvals' })
      .getByText('Sam Security')
      .first()
      .waitFor();
    // Reviewed once; the approval proper is someone else's.
    await envPage.approveDisabled(page, /already approved/);
    await shot(page, '09-security-reviewed');
  });

  it('lets the approver approve, sync the named revision and watch the waves become healthy live', async () => {
    const page = await signIn('approver');
    await openEnvironment(page);
    await envPage.approve(page, 'Approved by the e2e test');
    await envPage.approvalsComplete(page);
    // The history shows the decision in the backend's words.
    await page
      .getByText(
        /^Approved as Approval for revision [0-9a-f]{7}: Approved by the e2e test$/,
      )
      .first()
      .waitFor();
    await page
      .getByRole('table', { name: 'Required approvals' })
      .getByText('Avery Approver')
      .first()
      .waitFor();
    await shot(page, '10-approved');
    await markNoReload(page);
    const revision = await envPage.syncNow(page, () =>
      shot(page, '11-sync-confirmation'),
    );
    assert.match(revision, /^[0-9a-f]{7}$/);
    // The revision the bootstrap published, approved and now synced.
    if (commit) assert.equal(revision, commit.slice(0, 7));
    let midway = false;
    let incomplete = false;
    await envPage.wavesHealthy(page, {
      timeout: 300_000,
      onProgress: async texts => {
        incomplete ||= texts.some(t => {
          const [, healthy, total] = t.match(/(\d+) of (\d+)/) ?? [];
          return healthy !== total;
        });
        if (!midway && texts.some(t => /^[1-9]\d* of \d+ waves/.test(t))) {
          midway = true;
          await shot(page, '12-sync-in-progress');
        }
      },
    });
    await page.getByTitle('Sync run: Succeeded').waitFor({ timeout: 120_000 });
    await assertNotReloaded(page);
    assert.ok(incomplete, 'the waves were seen before they were healthy');
    await shot(page, '13-synced-healthy');
  });

  it("shows the sample service's logging healthy", async () => {
    // The checkout team's view: from the catalog's list of components.
    const page = await signIn('viewer');
    await page
      .getByRole('main')
      .getByRole('link', { name: SERVICE.name, exact: true })
      .click();
    await page.waitForURL(`${BASE_URL}${SERVICE.path}`);
    // The Logging card's table (the page has other cards and tables).
    const card = page.getByRole('table').filter({
      has: page.getByRole('row', { name: /^Logs Go To / }),
    });
    await card.getByRole('link', { name: 'ACME production logging' }).waitFor({
      timeout: 60_000,
    });
    await card
      .getByTitle('LokiStack health: Healthy')
      .waitFor({ timeout: 60_000 });
    await card
      .getByTitle('ClusterLogForwarder health: Healthy')
      .waitFor({ timeout: 60_000 });
    await card.getByTitle('Namespace checkout: Collected').waitFor();
    await card.getByTitle('Last sync: Succeeded').waitFor();
    await shot(page, '14-service-card-healthy');
  });
});
