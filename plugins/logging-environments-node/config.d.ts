export interface Config {
  /** Configuration of the Logging Environments plugins. */
  loggingEnvironments?: {
    /**
     * The GitOps repository the environments' Argo CD Applications read and
     * the template publishes to.
     */
    gitops?: {
      /** Clone URL of the repository, as Argo CD knows it. */
      repoUrl: string;
      /** Branch the Applications track (default main). */
      branch?: string;
      /**
       * Base URL under which Backstage's URL reader can read files of the
       * branch, e.g. `https://github.com/acme/gitops/blob/main`; the template
       * registers `<browseUrl>/environments/<env>/catalog-info.yaml`.
       */
      browseUrl?: string;
      /**
       * User name for publishing to the repository over HTTPS (HTTP Basic),
       * e.g. the sandbox git server's user.
       */
      username?: string;
      /**
       * Password or access token for publishing to the repository over
       * HTTPS (HTTP Basic), with `username`.
       * @visibility secret
       */
      password?: string;
    };
    /**
     * The Argo CD health checks of LokiStack and ClusterLogForwarder that the
     * bootstrap installs on each cluster (Argo CD has no built-in health for
     * them) and the checklist compares with what the cluster runs.
     */
    argocd?: {
      /**
       * The kustomization directory of the checks (the product's
       * `manifests/argocd/health`), relative to the backend's working
       * directory. Default: `manifests/argocd/health` at the root of the
       * workspace the backend's packages are in.
       */
      healthChecksDir?: string;
    };
    /**
     * AWS access for the bootstrap and the checklist. Credentials come from
     * the standard `aws.mainAccount` / `aws.accounts` configuration of
     * `@backstage/integration-aws-node` (static keys, profiles, role
     * assumption); this block only selects and tunes.
     */
    aws?: {
      /** Account to act in (a role is assumed per `aws.accounts` when it is not the main account). */
      accountId?: string;
      /**
       * Endpoint override for every AWS service, e.g. the sandbox's AWS
       * endpoint. S3 then uses path-style addressing.
       */
      endpoint?: string;
      /**
       * The S3 endpoint written into Loki's storage secret, when Loki must
       * reach S3 another way than the portal does (the sandbox: over TLS,
       * which a TLS-only bucket requires). Default: `endpoint`, else the
       * region's AWS endpoint.
       */
      storageEndpoint?: string;
      /** Attempts per AWS call, retries included (standard retry mode, default 6). */
      maxAttempts?: number;
    };
    /**
     * Clusters the plugins may bootstrap and watch, in addition to the
     * clusters of `kubernetes.clusterLocatorMethods` of type `config` (which
     * are read as well, so clusters configured for the Kubernetes plugin need
     * no second entry). A name given in both places is an error.
     */
    clusters?: Array<{
      /** Name of the cluster, as written in environment annotations. */
      name: string;
      /** API server URL. Required unless `kubeconfig` is given. */
      url?: string;
      /**
       * Path to a kubeconfig file (relative to the backend's working
       * directory). Its current context, or `kubeconfigContext`, is used.
       */
      kubeconfig?: string;
      /** Context of `kubeconfig` to use instead of its current context. */
      kubeconfigContext?: string;
      /**
       * Bearer token of the service account the portal acts as.
       * @visibility secret
       */
      serviceAccountToken?: string;
      /**
       * Base64-encoded CA bundle of the API server.
       * @visibility secret
       */
      caData?: string;
      /** Path to the CA bundle of the API server. */
      caFile?: string;
      /** Skip TLS verification. Never in production. */
      skipTLSVerify?: boolean;
      /**
       * URL of this cluster's Argo CD server (UI and API), for links and,
       * with `argocdToken`, for syncing through the API so Argo CD's RBAC
       * and sync windows apply.
       */
      argocdUrl?: string;
      /**
       * Argo CD API token of the portal's account. Without it, syncs set
       * `.operation` on the Application through the Kubernetes API.
       * @visibility secret
       */
      argocdToken?: string;
      /** URL of this cluster's web console, for links to logs. */
      consoleUrl?: string;
      /**
       * Which External Secrets the bootstrap's operators step installs
       * through OLM, and which configuration object it creates for it:
       * `community` (default), OperatorHub's community
       * `external-secrets-operator` with an `OperatorConfig`
       * (operator.external-secrets.io/v1alpha1) `cluster` in
       * `openshift-operators`; or `redhat`, External Secrets Operator for
       * Red Hat OpenShift (`openshift-external-secrets-operator` in
       * `external-secrets-operator`) with the `ExternalSecretsConfig`
       * (operator.openshift.io/v1alpha1) `cluster`. Neither deploys an
       * External Secrets controller before its object exists. Never switch
       * a cluster that runs one to the other: both would reconcile every
       * ExternalSecret (the step refuses).
       */
      externalSecretsFlavour?: 'community' | 'redhat';
      /**
       * How this cluster's Argo CD takes the health checks: `upstream`
       * (server-side apply of their `argocd-cm` keys), `openshift-gitops`
       * (entries of the `ArgoCD` resource's `spec.resourceHealthChecks`,
       * which the operator renders into `argocd-cm`), or `auto` (default:
       * OpenShift GitOps when an `ArgoCD` resource is in the Argo CD
       * namespace).
       */
      argocdFlavour?: 'auto' | 'upstream' | 'openshift-gitops';
    }>;
  };

  /** The Kubernetes plugin's cluster configuration, read for its clusters. */
  kubernetes?: {
    clusterLocatorMethods?: Array<{
      type: string;
      clusters?: Array<{
        name: string;
        url: string;
        authProvider?: string;
        /** @visibility secret */
        serviceAccountToken?: string;
        /** @visibility secret */
        caData?: string;
        caFile?: string;
        skipTLSVerify?: boolean;
        /**
         * The External Secrets build of this cluster, for the Logging
         * Environments bootstrap (see `loggingEnvironments.clusters`).
         */
        externalSecretsFlavour?: 'community' | 'redhat';
      }>;
    }>;
  };
}
