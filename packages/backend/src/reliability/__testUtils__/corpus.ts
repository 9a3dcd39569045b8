import { Sandbox } from '@internal/sandbox';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import yaml from 'yaml';
import { REPO_ROOT } from '../../gitops/__testUtils__/kustomize';

interface Entry {
  why: string;
  value?: unknown;
  repeat?: { text: string; times: number };
}

const corpus = yaml.parse(
  readFileSync(
    join(
      REPO_ROOT,
      'packages/backend/src/reliability/corpus/hostile-values.yaml',
    ),
    'utf8',
  ),
) as { strings: Entry[]; 'non-strings': Entry[] };

/** The hostile strings of the corpus, long ones built. */
export function corpusStrings(): Array<{ why: string; value: string }> {
  return corpus.strings.map(e => ({
    why: e.why,
    value: e.repeat ? e.repeat.text.repeat(e.repeat.times) : String(e.value),
  }));
}

/** The values of the wrong type (numbers, booleans, null, arrays, objects). */
export function corpusValues(): Array<{ why: string; value: unknown }> {
  return corpus['non-strings'].map(e => ({ why: e.why, value: e.value }));
}

/**
 * Everything the sandbox holds that a request could have changed: every
 * Kubernetes object (without the fields the API server bumps on reads of
 * its own), what moto holds, and the GitOps repository's head.
 */
export async function sandboxSnapshot(sandbox: Sandbox) {
  const res = await fetch(`${sandbox.control.url}/snapshot`, {
    headers: { authorization: `Bearer ${sandbox.kube.token}` },
  });
  if (!res.ok) throw new Error(`snapshot: ${res.status}`);
  const snapshot = await res.json();
  const head = (
    await promisify(execFile)('git', [
      '--git-dir',
      sandbox.git.repoDir,
      'rev-parse',
      'main',
    ])
  ).stdout.trim();
  const objects = (snapshot.kube.objects as any[])
    .filter(o => o.kind !== 'Event' && o.kind !== 'Lease')
    .map(
      o =>
        `${o.apiVersion}/${o.kind}/${o.metadata.namespace ?? ''}/${
          o.metadata.name
        }@${o.metadata.resourceVersion}`,
    )
    .sort();
  return { objects, aws: snapshot.aws, head };
}
