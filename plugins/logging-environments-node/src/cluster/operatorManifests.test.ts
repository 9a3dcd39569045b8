import { loadAllYaml } from '@kubernetes/client-node';
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { EXTERNAL_SECRETS_CONFIGS } from './externalSecretsConfig';
import {
  EXTERNAL_SECRETS_OPERATORS,
  ExternalSecretsFlavour,
  operatorManifests,
} from './operatorManifests';

// Tests run from source: the repository's manifests/ is four levels up.
// eslint-disable-next-line no-restricted-syntax
const OPERATORS = resolve(__dirname, '../../../../manifests/operators');

type Obj = Record<string, any>;

const yamlIn = (dir: string): Obj[] =>
  readdirSync(dir)
    .filter(f => f.endsWith('.yaml') && f !== 'kustomization.yaml')
    .flatMap(f => loadAllYaml(readFileSync(join(dir, f), 'utf8')))
    .filter(Boolean);

/**
 * What `kubectl kustomize` builds for a flavour, read without kustomize:
 * the common files and the flavour's component, with the channels the
 * kustomizations' replacements copy from `operator-channels`.
 */
function manifestsOf(flavour: ExternalSecretsFlavour): Obj[] {
  const dirs = [
    join(OPERATORS, 'common'),
    join(OPERATORS, 'components', `external-secrets-${flavour}`),
  ];
  const objects = dirs.flatMap(yamlIn);
  const channels = objects.find(o => o.metadata.name === 'operator-channels')!;
  for (const dir of dirs) {
    const [kustomization] = loadAllYaml(
      readFileSync(join(dir, 'kustomization.yaml'), 'utf8'),
    );
    for (const r of kustomization.replacements ?? []) {
      const key = r.source.fieldPath.replace(/^data\./, '');
      for (const t of r.targets) {
        const sub = objects.find(
          o => o.kind === 'Subscription' && o.metadata.name === t.select.name,
        )!;
        sub.spec.channel = channels.data[key];
      }
    }
  }
  return objects.filter(o => o !== channels);
}

const ids = (objects: Obj[], kind: string) =>
  objects
    .filter(o => o.kind === kind)
    .map(o => `${o.metadata.namespace ?? ''}/${o.metadata.name}`)
    .sort();

describe('operatorManifests', () => {
  it.each(['community', 'redhat'] as const)(
    'matches manifests/operators with the %s External Secrets',
    flavour => {
      const fromCode = operatorManifests({ externalSecretsFlavour: flavour });
      const fromGit = manifestsOf(flavour);
      for (const kind of ['Namespace', 'OperatorGroup']) {
        // Git also creates the namespace of the store's credentials.
        expect(ids(fromGit, kind)).toEqual(
          expect.arrayContaining(ids(fromCode, kind)),
        );
      }
      const subscriptions = (objects: Obj[]) =>
        Object.fromEntries(
          objects
            .filter(o => o.kind === 'Subscription')
            .map(o => [`${o.metadata.namespace}/${o.metadata.name}`, o.spec]),
        );
      expect(subscriptions(fromCode)).toEqual(subscriptions(fromGit));
      expect(
        subscriptions(fromCode)[
          `${EXTERNAL_SECRETS_OPERATORS[flavour].namespace}/${EXTERNAL_SECRETS_OPERATORS[flavour].package}`
        ],
      ).toBeDefined();

      // The object the operator waits for, as the bootstrap creates it.
      const config = EXTERNAL_SECRETS_CONFIGS[flavour];
      expect(fromGit.filter(o => o.kind === config.kind)).toEqual([config]);
    },
  );
});
