/*
 * Shared helpers of the browser tests: Chromium through playwright-core,
 * screenshots, and the steps on the plugin's pages that both the dev app
 * and the full portal share. Selectors are roles and accessible names, the
 * same ones the component tests use, so they follow the UI, not its markup.
 */
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { chromium } = require('playwright-core');

const REPO_ROOT = path.resolve(__dirname, '../../..');

/** Chromium from Debian, headless; never a downloaded browser. */
async function launch() {
  return chromium.launch({
    executablePath: process.env.E2E_CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/**
 * Where screenshots go: test-artifacts/ at the repository root (git-ignored),
 * emptied first so that only this run's screenshots are there.
 */
function artifacts(target) {
  const dir = path.join(REPO_ROOT, 'test-artifacts', 'e2e', target);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  return {
    dir,
    /**
     * The whole page. Backstage scrolls its `main`, not the document, so a
     * full-page screenshot alone would show one viewport: the viewport is
     * made as tall as the content for the shot, then restored.
     */
    async shot(page, name) {
      const viewport = page.viewportSize();
      const height = await page.evaluate(() =>
        Math.max(
          document.documentElement.scrollHeight,
          ...[...document.querySelectorAll('main')].map(
            m => m.scrollHeight + m.getBoundingClientRect().top,
          ),
        ),
      );
      const tall = viewport && height > viewport.height;
      if (tall) {
        await page.setViewportSize({
          width: viewport.width,
          height: Math.min(Math.ceil(height), 10_000),
        });
      }
      try {
        await page.screenshot({
          path: path.join(dir, `${name}.png`),
          fullPage: true,
        });
      } finally {
        if (tall) await page.setViewportSize(viewport);
      }
    },
  };
}

/** Polls `fn` until it returns a truthy value. */
async function until(
  fn,
  { timeout = 30_000, interval = 250, what = 'condition' } = {},
) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      const value = await fn();
      if (value) return value;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out waiting for ${what}${last ? `: ${last.message}` : ''}`,
      );
    }
    await new Promise(r => setTimeout(r, interval));
  }
}

/** The text a disabled action button shows as its reason (its accessible description). */
async function reasonOf(page, button) {
  const id = await button.getAttribute('aria-describedby');
  if (!id) return undefined;
  return page.locator(`[id="${id}"]`).innerText();
}

/**
 * Marks the window, so a later check can prove the page was not reloaded
 * (a reload gives a fresh window without the mark).
 */
async function markNoReload(page) {
  await page.evaluate(() => {
    window.__loggingE2eMark = true;
  });
}
async function assertNotReloaded(page) {
  const marked = await page.evaluate(() => window.__loggingE2eMark === true);
  if (!marked) throw new Error('the page was reloaded');
}

/** Waits until a dialog has faded in (for a screenshot that shows it opaque). */
async function dialogShown(dialog) {
  await until(
    () =>
      dialog.evaluate(el => {
        for (let e = el; e; e = e.parentElement) {
          if (getComputedStyle(e).opacity !== '1') return false;
        }
        return true;
      }),
    { timeout: 5_000, interval: 100, what: 'the dialog to fade in' },
  );
}

const envPage = {
  /** The phase header shows the tier's policy in words. */
  async policy(page, text) {
    await page.getByText(text, { exact: true }).waitFor();
  },

  /** Waits until the checklist reports every check passing. */
  async checklistPasses(page, { timeout = 60_000 } = {}) {
    await until(
      async () => {
        const line = await page
          .getByText(/\d+ of \d+ checks pass/)
          .first()
          .innerText();
        const [, passed, total] =
          line.match(/(\d+) of (\d+) checks pass/) ?? [];
        return passed && passed === total;
      },
      { timeout, what: 'every checklist item to pass' },
    );
  },

  async rerunChecks(page) {
    await page.getByRole('button', { name: /^(Re-run|Run) checks$/ }).click();
    await page
      .getByRole('button', { name: /^(Re-run|Run) checks$/ })
      .waitFor({ timeout: 120_000 });
  },

  approveButton(page) {
    return page.getByRole('button', { name: 'Approve', exact: true }).first();
  },

  /** Asserts Approve is disabled and returns the reason it shows. */
  async approveDisabled(page, reasonPattern) {
    const button = envPage.approveButton(page);
    await until(() => button.isDisabled(), { what: 'Approve to be disabled' });
    const reason = await until(() => reasonOf(page, button), {
      what: 'the reason Approve is disabled',
    });
    if (reasonPattern && !reasonPattern.test(reason)) {
      throw new Error(
        `Approve is disabled for "${reason}", expected ${reasonPattern}`,
      );
    }
    return reason;
  },

  /** Approves through the dialog with a comment; `shot` runs with the dialog open. */
  async approve(page, comment, shot) {
    const button = envPage.approveButton(page);
    await until(() => button.isEnabled(), { what: 'Approve to be enabled' });
    await button.click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('textbox', { name: /Comment/ }).fill(comment);
    if (shot) {
      await dialogShown(dialog);
      await shot();
    }
    await dialog.getByRole('button', { name: 'Approve', exact: true }).click();
    await dialog.waitFor({ state: 'detached' });
  },

  async approvalsComplete(page, { timeout = 30_000 } = {}) {
    await until(
      async () => {
        const line = await page
          .getByText(/\d+ of \d+ required approvals given/)
          .innerText();
        const [, given, total] = line.match(/(\d+) of (\d+)/) ?? [];
        return given && given === total;
      },
      { timeout, what: 'every required approval' },
    );
  },

  /** Sync now, checking that the confirmation names the revision; returns it. */
  async syncNow(page, shot) {
    const button = page.getByRole('button', { name: 'Sync now' });
    await until(() => button.isEnabled(), { what: 'Sync now to be enabled' });
    await button.click();
    const dialog = page.getByRole('dialog');
    const title = await dialog.getByRole('heading').innerText();
    const [, revision] =
      title.match(/^Sync revision ([0-9a-f]{7,}) to \w+\?$/) ?? [];
    if (!revision)
      throw new Error(
        `the confirmation does not name the revision: "${title}"`,
      );
    if (shot) {
      await dialogShown(dialog);
      await shot();
    }
    await dialog.getByRole('button', { name: `Sync ${revision}` }).click();
    await dialog.waitFor({ state: 'detached' });
    return revision;
  },

  /** Waits until every Application's progress bar says all its waves are healthy. */
  async wavesHealthy(page, { timeout = 120_000, onProgress } = {}) {
    await until(
      async () => {
        const bars = page.getByRole('progressbar', { name: / progress$/ });
        const texts = await bars.evaluateAll(els =>
          els.map(e => e.getAttribute('aria-valuetext') ?? ''),
        );
        if (onProgress) await onProgress(texts);
        return (
          texts.length > 0 &&
          texts.every(t => {
            const [, healthy, total] =
              t.match(/(\d+) of (\d+) waves healthy/) ?? [];
            return healthy && healthy === total && total !== '0';
          })
        );
      },
      { timeout, interval: 500, what: 'every wave to be healthy' },
    );
  },
};

/**
 * Starts the plugin's dev app (`yarn workspace ... start`) on a port of its
 * own and resolves its URL once it serves; `stop()` ends it (its process
 * group, which this started).
 */
async function startDevApp({ port = 3300 } = {}) {
  const url = `http://localhost:${port}`;
  const child = spawn(
    'yarn',
    ['workspace', '@internal/plugin-logging-environments', 'start'],
    {
      cwd: REPO_ROOT,
      env: { ...process.env, APP_CONFIG_app_baseUrl: url, BROWSER: 'none' },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let log = '';
  child.stdout.on('data', d => (log += d));
  child.stderr.on('data', d => (log += d));
  const stop = () => {
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  };
  try {
    await until(
      async () => {
        if (child.exitCode !== null) throw new Error(`dev app exited:\n${log}`);
        const res = await fetch(url);
        return res.ok;
      },
      { timeout: 180_000, interval: 1000, what: `the dev app on ${url}` },
    );
  } catch (e) {
    stop();
    throw e;
  }
  return { url, stop };
}

/** Signs in to the dev app as a guest (the legacy guest token: it has no backend). */
async function devAppSignIn(page, ready) {
  const enter = page.getByRole('button', { name: 'Enter' });
  const shown = await Promise.race([
    enter.waitFor({ timeout: 30_000 }).then(() => 'sign-in'),
    ready.waitFor({ timeout: 30_000 }).then(() => 'page'),
  ]);
  if (shown === 'sign-in') {
    // No auth backend: the guest provider asks to fall back to the legacy
    // guest token; accept.
    page.once('dialog', d => d.accept());
    await enter.click();
    await ready.waitFor({ timeout: 30_000 });
  }
}

module.exports = {
  REPO_ROOT,
  artifacts,
  assertNotReloaded,
  devAppSignIn,
  envPage,
  launch,
  markNoReload,
  reasonOf,
  startDevApp,
  until,
};
