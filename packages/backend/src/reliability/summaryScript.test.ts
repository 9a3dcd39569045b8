/**
 * scripts/reliability-summary.js, which `yarn test:all` runs after the
 * tests: it fails the command when a line of the summary is below its
 * minimum, when the suite recorded nothing, or when an attack was not
 * refused.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../gitops/__testUtils__/kustomize';

const SCRIPT = join(REPO_ROOT, 'scripts/reliability-summary.js');

/** What one full run of the suite records at least, line by line. */
const AT_MINIMUM: Array<[string, number, string]> = [
  ['faults injected', 30, 'full flow'],
  ['restarts survived', 6, 'backend killed mid-sync'],
  ['restarts survived', 3, 'backend killed mid-bootstrap'],
  ['inputs rejected', 600, 'API input'],
  ['matrix cells checked', 112, 'routes x callers'],
  ['secret surfaces searched', 12, 'full flow'],
  ['attacks tried', 21, 'trust boundary'],
  ['attacks refused', 21, 'trust boundary'],
];

describe('the reliability summary script', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'reliability-summary-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Runs the script on a records file holding `records`. */
  function summarize(
    name: string,
    records: Array<[string, number, string]> | undefined,
  ): Promise<{ code: number; stdout: string; stderr: string }> {
    const file = join(dir, `${name}.jsonl`);
    if (records) {
      writeFileSync(
        file,
        records
          .map(([metric, count, source]) =>
            JSON.stringify({ metric, count, source }),
          )
          .join('\n'),
      );
    }
    return new Promise(resolve => {
      execFile(
        process.execPath,
        [SCRIPT, '--file', file],
        (error, stdout, stderr) =>
          resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
      );
    });
  }

  it('passes when every line reaches its minimum, and prints each with its sources', async () => {
    const { code, stdout, stderr } = await summarize('enough', AT_MINIMUM);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toMatch(
      /restarts survived +9 +\(backend killed mid-sync 6, backend killed mid-bootstrap 3\) +minimum 9/,
    );
    expect(stdout).toMatch(/attacks refused +21 of 21 /);
  });

  it('fails naming the line that is below its minimum', async () => {
    const { code, stderr } = await summarize(
      'short',
      AT_MINIMUM.map(([metric, count, source]) => [
        metric,
        metric === 'restarts survived' ? 1 : count,
        source,
      ]),
    );
    expect(code).toBe(1);
    expect(stderr).toContain(
      '"restarts survived" counted 2, below its minimum of 9',
    );
    expect(stderr).not.toContain('"faults injected"');
  });

  it('fails for a line no test recorded', async () => {
    const { code, stderr } = await summarize(
      'missing',
      AT_MINIMUM.filter(([metric]) => metric !== 'matrix cells checked'),
    );
    expect(code).toBe(1);
    expect(stderr).toContain(
      '"matrix cells checked" counted 0, below its minimum of 112',
    );
  });

  it('fails when the suite recorded nothing at all', async () => {
    const { code, stderr } = await summarize('absent', undefined);
    expect(code).toBe(1);
    expect(stderr).toContain('no counts recorded');
  });

  it('fails when an attack tried was not refused', async () => {
    const { code, stderr } = await summarize('unrefused', [
      ...AT_MINIMUM,
      ['attacks tried', 1, 'trust boundary'],
    ]);
    expect(code).toBe(1);
    expect(stderr).toContain(
      '1 attack(s) on the trust boundary were not refused',
    );
  });
});
