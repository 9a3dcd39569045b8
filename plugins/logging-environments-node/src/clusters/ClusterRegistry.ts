import { Config } from '@backstage/config';
import { InputError, NotFoundError } from '@backstage/errors';
import { KubeConfig } from '@kubernetes/client-node';
import { resolve as resolvePath } from 'node:path';
import {
  DEFAULT_EXTERNAL_SECRETS_FLAVOUR,
  ExternalSecretsFlavour,
} from '../cluster/operatorManifests';
import {
  ARGOCD_FLAVOUR_SETTINGS,
  ArgoCdFlavourSetting,
} from '../cluster/argoCdHealthChecks';

/**
 * A cluster the plugins can reach, without its credentials.
 *
 * @public
 */
export interface ClusterInfo {
  name: string;
  /** API server URL. */
  url: string;
  /** Argo CD UI of the cluster, when configured. */
  argocdUrl?: string;
  /** Web console of the cluster, when configured. */
  consoleUrl?: string;
  /**
   * The External Secrets build the cluster installs through OLM (the
   * registry sets it; `community` where it is not given).
   */
  externalSecretsFlavour?: ExternalSecretsFlavour;
  /** How its Argo CD takes health checks, when configured (else detected). */
  argocdFlavour?: ArgoCdFlavourSetting;
}

/**
 * Gives access to the configured clusters.
 *
 * @public
 */
export interface ClusterRegistry {
  /** Every configured cluster, in configuration order. */
  list(): ClusterInfo[];
  /** One cluster; throws `NotFoundError` for an unknown name. */
  get(name: string): ClusterInfo;
  /** A client configuration for one cluster. */
  kubeConfig(name: string): KubeConfig;
  /** The Argo CD API of one cluster, when its URL and a token are configured. */
  argocdApi(name: string): { url: string; token: string } | undefined;
}

interface Entry {
  info: ClusterInfo;
  load: () => KubeConfig;
  argocdToken?: string;
}

function argocdFlavour(
  c: Config,
  where: string,
): ArgoCdFlavourSetting | undefined {
  const value = c.getOptionalString('argocdFlavour');
  if (
    value !== undefined &&
    !ARGOCD_FLAVOUR_SETTINGS.includes(value as ArgoCdFlavourSetting)
  ) {
    throw new InputError(
      `${where}: argocdFlavour must be one of ${ARGOCD_FLAVOUR_SETTINGS.join(
        ', ',
      )}, not "${value}"`,
    );
  }
  return value as ArgoCdFlavourSetting | undefined;
}

const FLAVOURS: ExternalSecretsFlavour[] = ['community', 'redhat'];

function externalSecretsFlavour(
  c: Config,
  where: string,
): ExternalSecretsFlavour {
  const value = c.getOptionalString('externalSecretsFlavour');
  if (value === undefined) return DEFAULT_EXTERNAL_SECRETS_FLAVOUR;
  if (!FLAVOURS.includes(value as ExternalSecretsFlavour)) {
    throw new InputError(
      `${where}: cluster "${c.getString(
        'name',
      )}": externalSecretsFlavour must be one of ${FLAVOURS.join(
        ', ',
      )}, not "${value}"`,
    );
  }
  return value as ExternalSecretsFlavour;
}

function fromServiceAccount(c: Config, where: string): Entry {
  const name = c.getString('name');
  const url = c.getString('url');
  const authProvider = c.getOptionalString('authProvider') ?? 'serviceAccount';
  if (authProvider !== 'serviceAccount') {
    throw new InputError(
      `${where}: cluster "${name}" uses authProvider "${authProvider}"; only "serviceAccount" (a token) or a kubeconfig is supported`,
    );
  }
  const token = c.getOptionalString('serviceAccountToken');
  const caData = c.getOptionalString('caData');
  const caFile = c.getOptionalString('caFile');
  const skipTLSVerify = c.getOptionalBoolean('skipTLSVerify') ?? false;
  return {
    info: {
      name,
      url,
      argocdUrl: c.getOptionalString('argocdUrl'),
      consoleUrl: c.getOptionalString('consoleUrl'),
      externalSecretsFlavour: externalSecretsFlavour(c, where),
      argocdFlavour: argocdFlavour(c, where),
    },
    argocdToken: c.getOptionalString('argocdToken'),
    load: () => {
      const kc = new KubeConfig();
      kc.loadFromOptions({
        clusters: [{ name, server: url, caData, caFile, skipTLSVerify }],
        users: [{ name, token }],
        contexts: [{ name, cluster: name, user: name }],
        currentContext: name,
      });
      return kc;
    },
  };
}

function fromKubeconfig(c: Config, where: string): Entry {
  const name = c.getString('name');
  const path = resolvePath(c.getString('kubeconfig'));
  const context = c.getOptionalString('kubeconfigContext');
  const load = () => {
    const kc = new KubeConfig();
    try {
      kc.loadFromFile(path);
    } catch (e) {
      throw new InputError(
        `${where}: cluster "${name}": cannot read kubeconfig ${path}: ${
          (e as Error).message
        }`,
      );
    }
    if (context) kc.setCurrentContext(context);
    if (!kc.getCurrentCluster()) {
      throw new InputError(
        `${where}: cluster "${name}": kubeconfig ${path} has no cluster for context "${kc.getCurrentContext()}"`,
      );
    }
    return kc;
  };
  return {
    info: {
      name,
      // The URL is read lazily: a kubeconfig written by a process that starts
      // later (the sandbox) must not fail start-up.
      get url() {
        return load().getCurrentCluster()!.server;
      },
      argocdUrl: c.getOptionalString('argocdUrl'),
      consoleUrl: c.getOptionalString('consoleUrl'),
      externalSecretsFlavour: externalSecretsFlavour(c, where),
      argocdFlavour: argocdFlavour(c, where),
    },
    argocdToken: c.getOptionalString('argocdToken'),
    load,
  };
}

/**
 * Reads clusters from `loggingEnvironments.clusters` and from the Kubernetes
 * plugin's `kubernetes.clusterLocatorMethods` entries of type `config`.
 *
 * @public
 */
export class ConfigClusterRegistry implements ClusterRegistry {
  private readonly entries: Map<string, Entry>;

  /** Reads the clusters from config; throws `InputError` on a bad entry. */
  static fromConfig(config: Config): ConfigClusterRegistry {
    const entries = new Map<string, Entry>();
    const add = (entry: Entry, where: string) => {
      if (entries.has(entry.info.name)) {
        throw new InputError(
          `${where}: cluster "${entry.info.name}" is configured twice`,
        );
      }
      entries.set(entry.info.name, entry);
    };

    const own = config.getOptionalConfigArray('loggingEnvironments.clusters');
    own?.forEach((c, i) => {
      const where = `loggingEnvironments.clusters[${i}]`;
      if (c.has('kubeconfig')) {
        add(fromKubeconfig(c, where), where);
      } else if (c.has('url')) {
        add(fromServiceAccount(c, where), where);
      } else {
        throw new InputError(
          `${where}: cluster "${c.getString(
            'name',
          )}" needs either "url" or "kubeconfig"`,
        );
      }
    });

    const methods = config.getOptionalConfigArray(
      'kubernetes.clusterLocatorMethods',
    );
    methods?.forEach((m, i) => {
      if (m.getString('type') !== 'config') return;
      m.getOptionalConfigArray('clusters')?.forEach((c, j) => {
        const where = `kubernetes.clusterLocatorMethods[${i}].clusters[${j}]`;
        add(fromServiceAccount(c, where), where);
      });
    });

    return new ConfigClusterRegistry(entries);
  }

  private constructor(entries: Map<string, Entry>) {
    this.entries = entries;
  }

  list(): ClusterInfo[] {
    return [...this.entries.values()].map(e => e.info);
  }

  get(name: string): ClusterInfo {
    return this.entry(name).info;
  }

  kubeConfig(name: string): KubeConfig {
    return this.entry(name).load();
  }

  argocdApi(name: string): { url: string; token: string } | undefined {
    const { info, argocdToken } = this.entry(name);
    return info.argocdUrl && argocdToken
      ? { url: info.argocdUrl.replace(/\/+$/, ''), token: argocdToken }
      : undefined;
  }

  private entry(name: string): Entry {
    const entry = this.entries.get(name);
    if (!entry) {
      const known = [...this.entries.keys()].join(', ') || 'none';
      throw new NotFoundError(
        `Cluster "${name}" is not configured (configured: ${known})`,
      );
    }
    return entry;
  }
}
