import {
  canSync,
  globMatch,
  isDestinationPermitted,
  isGroupKindPermitted,
  isSourcePermitted,
  isWindowActive,
  matchingWindows,
  nextCronTime,
  parseCron,
  parseGoDuration,
  validatePermissions,
} from '.';
import { Application, AppProject } from '../types';

const project = (spec: AppProject['spec']): AppProject => ({
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'AppProject',
  metadata: { name: 'p', namespace: 'openshift-gitops' },
  spec,
});

const app = (
  namespace: string,
  name = 'dev-logging-infrastructure',
): Application => ({
  apiVersion: 'argoproj.io/v1alpha1',
  kind: 'Application',
  metadata: { name, namespace: 'openshift-gitops' },
  spec: {
    project: 'p',
    source: {
      repoURL: 'http://127.0.0.1:1/gitops.git',
      path: 'envs/dev',
      targetRevision: 'main',
    },
    destination: { server: 'https://kubernetes.default.svc', namespace },
  },
});

const IN_CLUSTER = {
  server: 'https://kubernetes.default.svc',
  name: 'in-cluster',
};

describe('AppProject rules', () => {
  it('matches globs like gobwas/glob', () => {
    expect(globMatch('team-*', 'team-a')).toBe(true);
    expect(globMatch('team-?', 'team-ab')).toBe(false);
    expect(globMatch('{dev,prod}-*', 'prod-x')).toBe(true);
    expect(globMatch('[a-c]x', 'bx')).toBe(true);
    expect(globMatch('https://*', 'https://a/b', { separator: '/' })).toBe(
      false,
    );
    expect(globMatch('!kube-*', 'kube-system', { allowNegation: true })).toBe(
      false,
    );
  });

  it('permits source repositories after normalizing them', () => {
    const p = project({ sourceRepos: ['HTTP://127.0.0.1:1/gitops'] });
    expect(isSourcePermitted(p, 'http://127.0.0.1:1/gitops.git')).toBe(true);
    expect(isSourcePermitted(p, 'http://127.0.0.1:1/other.git')).toBe(false);
    expect(
      isSourcePermitted(project({ sourceRepos: ['*'] }), 'https://x/y.git'),
    ).toBe(true);
    expect(
      isSourcePermitted(
        project({ sourceRepos: ['*', '!https://evil/*'] }),
        'https://evil/repo',
      ),
    ).toBe(false);
  });

  it('permits destinations by server or name and namespace, with deny patterns', () => {
    const p = project({
      destinations: [
        { server: 'https://kubernetes.default.svc', namespace: 'team-*' },
        { name: 'in-cluster', namespace: 'openshift-logging' },
        { server: '*', namespace: '!team-secret' },
      ],
    });
    expect(isDestinationPermitted(p, IN_CLUSTER, 'team-a')).toBe(true);
    expect(isDestinationPermitted(p, IN_CLUSTER, 'openshift-logging')).toBe(
      true,
    );
    expect(isDestinationPermitted(p, IN_CLUSTER, 'team-secret')).toBe(false);
    expect(
      isDestinationPermitted(project({ destinations: [] }), IN_CLUSTER, 'x'),
    ).toBe(false);
  });

  it('applies resource allow and deny lists', () => {
    const open = project({});
    expect(isGroupKindPermitted(open, '', 'ConfigMap', true)).toBe(true);
    // Cluster-scoped kinds need an explicit allow entry.
    expect(isGroupKindPermitted(open, '', 'Namespace', false)).toBe(false);
    const p = project({
      clusterResourceWhitelist: [{ group: '*', kind: '*' }],
      clusterResourceBlacklist: [
        { group: 'rbac.authorization.k8s.io', kind: 'ClusterRole*' },
      ],
      namespaceResourceWhitelist: [
        { group: 'loki.grafana.com', kind: '*' },
        { group: '', kind: 'Secret' },
      ],
      namespaceResourceBlacklist: [{ group: '', kind: 'Secret' }],
    });
    expect(isGroupKindPermitted(p, '', 'Namespace', false)).toBe(true);
    expect(
      isGroupKindPermitted(
        p,
        'rbac.authorization.k8s.io',
        'ClusterRoleBinding',
        false,
      ),
    ).toBe(false);
    expect(isGroupKindPermitted(p, 'loki.grafana.com', 'LokiStack', true)).toBe(
      true,
    );
    expect(isGroupKindPermitted(p, '', 'Secret', true)).toBe(false);
    expect(isGroupKindPermitted(p, '', 'ConfigMap', true)).toBe(false);
    expect(
      isGroupKindPermitted(
        project({ namespaceResourceWhitelist: [] }),
        '',
        'ConfigMap',
        true,
      ),
    ).toBe(false);
  });

  it('validates an Application against its project with Argo CD messages', () => {
    const p = project({
      sourceRepos: ['http://127.0.0.1:1/gitops.git'],
      destinations: [
        { server: 'https://kubernetes.default.svc', namespace: 'team-*' },
      ],
    });
    expect(validatePermissions(app('team-a'), p)).toEqual([]);
    expect(validatePermissions(app('kube-system'), p)).toEqual([
      {
        type: 'InvalidSpecError',
        message:
          "application destination server 'https://kubernetes.default.svc' and namespace 'kube-system' do not match any of the allowed destinations in project 'p'",
      },
    ]);
    const other = app('team-a');
    other.spec.source!.repoURL = 'https://github.com/x/y.git';
    other.spec.destination = {
      server: 'https://api.other:6443',
      namespace: 'team-a',
    };
    expect(validatePermissions(other, p).map(c => c.message)).toEqual([
      "application repo https://github.com/x/y.git is not permitted in project 'p'",
      'error getting cluster by server "https://api.other:6443": rpc error: code = NotFound desc = cluster "https://api.other:6443" not found',
    ]);
  });
});

describe('sync windows', () => {
  const at = new Date('2026-03-04T10:30:00Z'); // a Wednesday

  it('parses cron schedules and finds the next trigger', () => {
    const s = parseCron('0 9 * * 1-5');
    expect(nextCronTime(s, at)!.toISOString()).toBe('2026-03-05T09:00:00.000Z');
    expect(nextCronTime(parseCron('*/15 * * * *'), at)!.toISOString()).toBe(
      '2026-03-04T10:45:00.000Z',
    );
    expect(nextCronTime(parseCron('0 0 1 JAN *'), at)!.toISOString()).toBe(
      '2027-01-01T00:00:00.000Z',
    );
    expect(nextCronTime(parseCron('@daily'), at)!.toISOString()).toBe(
      '2026-03-05T00:00:00.000Z',
    );
    expect(() => parseCron('0 9 * *')).toThrow('expected exactly 5 fields');
    expect(parseGoDuration('1h30m')).toBe(5_400_000);
    expect(() => parseGoDuration('1 hour')).toThrow(
      'time: invalid duration "1 hour"',
    );
  });

  it('is active when the schedule fired less than duration ago', () => {
    expect(isWindowActive({ schedule: '0 9 * * *', duration: '2h' }, at)).toBe(
      true,
    );
    expect(isWindowActive({ schedule: '0 9 * * *', duration: '1h' }, at)).toBe(
      false,
    );
    expect(isWindowActive({ schedule: '0 9 * * 0', duration: '2h' }, at)).toBe(
      false,
    );
    // 09:00 in New York is 14:00 UTC: not yet.
    expect(
      isWindowActive(
        { schedule: '0 9 * * *', duration: '2h', timeZone: 'America/New_York' },
        at,
      ),
    ).toBe(false);
  });

  it('decides like SyncWindows.CanSync', () => {
    const deny = {
      kind: 'deny',
      schedule: '* * * * *',
      duration: '1h',
      applications: ['*'],
    };
    const allowLater = {
      kind: 'allow',
      schedule: '0 22 * * *',
      duration: '1h',
      namespaces: ['team-*'],
    };
    expect(canSync([], false, at)).toBe(true);
    expect(canSync([deny], true, at)).toBe(false);
    expect(canSync([{ ...deny, manualSync: true }], true, at)).toBe(true);
    expect(canSync([{ ...deny, manualSync: true }], false, at)).toBe(false);
    expect(canSync([allowLater], false, at)).toBe(false);
    expect(canSync([{ ...allowLater, manualSync: true }], true, at)).toBe(true);
    expect(() =>
      canSync([{ kind: 'deny', schedule: 'bad', duration: '1h' }], true, at),
    ).toThrow(/^invalid sync windows: /);
    const p = project({
      syncWindows: [deny, { ...allowLater, applications: ['other'] }],
    });
    expect(matchingWindows(p, app('team-a'))).toHaveLength(2);
    expect(matchingWindows(p, app('x', 'y'))).toEqual([deny]);
  });
});
