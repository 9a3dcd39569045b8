/** A tier policy override: each key given replaces the default's. */
interface TierPolicyConfig {
  /**
   * Approvals that must all be given before the sync may start (replaces
   * the default list as a whole). Production needs at least one.
   */
  requiredApprovals?: Array<{
    /** Role identifier: lowercase letters, digits and "-", e.g. `security-review`. */
    role: string;
    /** Title of the role as people read it, e.g. `Security review` (default: the role). */
    title?: string;
    /** Entity ref of the group whose members may approve in this role, e.g. `group:default/security-reviewers`. */
    group: string;
    /**
     * Whether an environment's bootstrap may add groups to this role (the
     * template's "Extra approver groups"); default false. Never true for
     * production's security review.
     */
    extendable?: boolean;
  }>;
  /** Whether every required approval must come from a different person. */
  distinctApprovers?: boolean;
  /** Whether the requester of an environment may approve it. Never true for production. */
  requesterMayApprove?: boolean;
  /**
   * `automatic`: the backend starts the sync once the gate is passed;
   * `manual`: someone with the sync permission asks for it. Production is
   * always `manual`.
   */
  syncMode?: 'automatic' | 'manual';
  /** Roll back to the last healthy revision when a sync fails. */
  rollbackOnFailure?: boolean;
}

export interface Config {
  /** Configuration of the Logging Environments plugins. */
  loggingEnvironments?: {
    /**
     * Entity refs of the groups whose members are platform administrators:
     * with the permission `logging.environment.administer` they may change
     * an environment's tier, owner, requester or approver groups, adopt an
     * environment that has no record, release a record, re-run any
     * environment's bootstrap and rotate its credentials. Empty by default:
     * nobody is.
     */
    administrators?: string[];
    /**
     * Overrides of the tier policies of ADR-0009 (DEFAULT_TIER_POLICIES in
     * the -common package). Configuration may tighten production but not
     * lower it below: at least one approval, never the requester, manual
     * sync.
     */
    tiers?: {
      development?: TierPolicyConfig;
      staging?: TierPolicyConfig;
      production?: TierPolicyConfig;
    };
    /** Phase 3: the sync orchestration. */
    sync?: {
      /**
       * Seconds between two advances of the active sync runs by the
       * scheduler (one replica at a time); default 5.
       */
      intervalSeconds?: number;
    };
    /** The phase-2 checklist. */
    checklist?: {
      /**
       * Seconds each probe may take before it is reported `unknown` ("timed
       * out after ..."); default 10.
       */
      probeTimeoutSeconds?: number;
      /**
       * Per-probe timeouts in seconds, by probe id (`bucket`, `iam-policy`,
       * `secret`, `cluster-credentials`, `secret-store`, `secret-scope`,
       * `operators`, `applications`, `revision`), over `probeTimeoutSeconds`.
       */
      probeTimeouts?: { [probeId: string]: number };
      /**
       * Seconds the `revision` probe waits for Argo CD to finish the refresh
       * it asks for (default 5; bounded by the probe's own timeout).
       */
      revisionRefreshTimeoutSeconds?: number;
    };
  };
}
