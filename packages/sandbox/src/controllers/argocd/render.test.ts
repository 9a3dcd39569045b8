import { GitFixture, startGitFixture } from './__testUtils__/testkit';
import { ManifestRenderer, RenderError } from './render';
import { atoi, isSubset, syncWave } from './compare';

describe('ManifestRenderer', () => {
  let git: GitFixture;
  let renderer: ManifestRenderer;

  beforeEach(async () => {
    git = await startGitFixture();
    renderer = new ManifestRenderer(git.server);
  });

  afterEach(async () => {
    await git.close();
  });

  it('recognizes the sandbox repository with or without .git and slash', () => {
    const url = git.server.url;
    expect(renderer.servesRepo(url)).toBe(true);
    expect(renderer.servesRepo(url.replace(/\.git$/, ''))).toBe(true);
    expect(renderer.servesRepo(`${url}/`)).toBe(true);
    expect(renderer.servesRepo('https://github.com/org/gitops.git')).toBe(
      false,
    );
    expect(() =>
      renderer.checkRepo('https://github.com/org/gitops.git'),
    ).toThrow(
      /^failed to list refs: repository not accessible: https:\/\/github.com\/org\/gitops.git/,
    );
  });

  it('resolves HEAD, branches, tags and full or short SHAs', async () => {
    const first = await git.commit({
      'a.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n',
    });
    await git.tag('v1.0.0');
    const second = await git.commit({
      'b.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n',
    });
    expect(await renderer.resolveRevision('HEAD')).toBe(second);
    expect(await renderer.resolveRevision('')).toBe(second);
    expect(await renderer.resolveRevision('main')).toBe(second);
    expect(await renderer.resolveRevision('v1.0.0')).toBe(first);
    expect(await renderer.resolveRevision(first)).toBe(first);
    expect(await renderer.resolveRevision(first.slice(0, 7))).toBe(first);
    await expect(renderer.resolveRevision('nope')).rejects.toThrow(
      new RenderError("Unable to resolve 'nope' to a commit SHA"),
    );
    await expect(renderer.resolveRevision('--all')).rejects.toThrow(
      RenderError,
    );
  });

  it('renders a directory of YAML at a commit, lists included', async () => {
    const sha = await git.commit({
      'dir/one.yaml': `apiVersion: v1
kind: ConfigMap
metadata:
  name: one
---
apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: ConfigMap
    metadata:
      name: two
`,
      'dir/three.json':
        '{"apiVersion":"v1","kind":"Secret","metadata":{"name":"three"}}',
      'dir/README.md': '# not a manifest',
      'dir/sub/four.yaml':
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: four\n',
    });
    await git.commit({ 'dir/one.yaml': null });
    const result = await renderer.render(sha, {
      repoURL: git.server.url,
      path: 'dir',
    });
    expect(result.sourceType).toBe('Directory');
    expect(result.objects.map(o => o.metadata.name)).toEqual([
      'one',
      'two',
      'three',
    ]);
    const recursive = await renderer.render(sha, {
      repoURL: git.server.url,
      path: 'dir',
      directory: { recurse: true },
    });
    expect(recursive.objects.map(o => o.metadata.name)).toContain('four');
  });

  it('renders Kustomize with kubectl kustomize and reports its errors', async () => {
    const sha = await git.commit({
      'base/kustomization.yaml': 'resources:\n  - cm.yaml\n',
      'base/cm.yaml':
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n',
      'overlay/kustomization.yaml':
        'resources:\n  - ../base\nnamePrefix: dev-\nnamespace: team-a\n',
      'broken/kustomization.yaml': 'resources:\n  - missing.yaml\n',
    });
    const result = await renderer.render(sha, {
      repoURL: git.server.url,
      path: 'overlay',
    });
    expect(result.sourceType).toBe('Kustomize');
    expect(result.objects).toEqual([
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'dev-cm', namespace: 'team-a' },
      },
    ]);
    await expect(
      renderer.render(sha, { repoURL: git.server.url, path: 'broken' }),
    ).rejects.toThrow(/^`kustomize build broken` failed exit status 1: /);
    await expect(
      renderer.render(sha, { repoURL: git.server.url, path: 'nowhere' }),
    ).rejects.toThrow('nowhere: app path does not exist');
    await expect(
      renderer.render(sha, { repoURL: git.server.url, path: '../..' }),
    ).rejects.toThrow('../..: app path is outside repository');
  });
});

describe('comparison helpers', () => {
  it('parses sync waves with Atoi strictness', () => {
    expect(atoi('20')).toBe(20);
    expect(atoi('-5')).toBe(-5);
    expect(atoi('+3')).toBe(3);
    expect(atoi('1.5')).toBeUndefined();
    expect(atoi(' 1')).toBeUndefined();
    const withWave = (w: string) => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'x',
        annotations: { 'argocd.argoproj.io/sync-wave': w },
      },
    });
    expect(syncWave(withWave('1.5'))).toBe(0);
    expect(syncWave(withWave('30'))).toBe(30);
  });

  it('compares desired fields as a subset of the live object', () => {
    expect(isSubset({ a: { b: 1 } }, { a: { b: 1, c: 2 }, d: 3 })).toBe(true);
    expect(isSubset({ a: [{ x: 1 }] }, { a: [{ x: 1, y: 2 }] })).toBe(true);
    expect(isSubset({ a: [1, 2] }, { a: [1] })).toBe(false);
    expect(isSubset({ a: 1 }, { a: '1' })).toBe(false);
    expect(isSubset({ labels: {} }, {})).toBe(true);
  });
});
