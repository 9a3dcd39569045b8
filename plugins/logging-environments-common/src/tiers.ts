/**
 * The tiers an environment can have, from least to most guarded.
 *
 * @public
 */
export const TIERS = ['development', 'staging', 'production'] as const;

/**
 * Tier of a logging environment.
 *
 * @public
 */
export type Tier = (typeof TIERS)[number];

/**
 * Returns whether a value is one of the known tiers.
 *
 * @public
 */
export function isTier(value: unknown): value is Tier {
  return (
    typeof value === 'string' && (TIERS as readonly string[]).includes(value)
  );
}

/**
 * One approval a tier requires: a role, and the catalog group whose members
 * may give it.
 *
 * @public
 */
export interface RequiredApproval {
  /** Role identifier, for example `security-review`. */
  role: string;
  /** Human-readable title of the role, for example `Security review`. */
  title: string;
  /** Entity ref of the group whose members may approve in this role. */
  group: string;
  /**
   * Whether an environment's bootstrap may add groups to this role (the
   * template's "extra approver groups"). Only configuration decides it; a
   * production security review is never extendable.
   */
  extendable?: boolean;
}

/**
 * How an environment of a tier moves from phase 2 to phase 3.
 *
 * @public
 */
export interface TierPolicy {
  tier: Tier;
  /** Approvals that must all be given before the sync may start. */
  requiredApprovals: RequiredApproval[];
  /** Whether every required approval must come from a different person. */
  distinctApprovers: boolean;
  /** Whether the requester of the environment may approve it. */
  requesterMayApprove: boolean;
  /**
   * `automatic`: the backend starts the sync once the gate is passed;
   * `manual`: someone with the sync permission must ask for it.
   */
  syncMode: 'automatic' | 'manual';
  /** Roll back to the last healthy revision when a sync fails. */
  rollbackOnFailure: boolean;
}

/**
 * The tier policies of ADR-0009, used when the configuration does not
 * override them.
 *
 * @public
 */
export const DEFAULT_TIER_POLICIES: Readonly<Record<Tier, TierPolicy>> = {
  development: {
    tier: 'development',
    requiredApprovals: [],
    distinctApprovers: true,
    requesterMayApprove: true,
    syncMode: 'automatic',
    rollbackOnFailure: false,
  },
  staging: {
    tier: 'staging',
    requiredApprovals: [
      {
        role: 'configuration-review',
        title: 'Configuration review',
        group: 'group:default/platform-approvers',
        extendable: true,
      },
    ],
    distinctApprovers: true,
    requesterMayApprove: true,
    syncMode: 'automatic',
    rollbackOnFailure: true,
  },
  production: {
    tier: 'production',
    requiredApprovals: [
      {
        role: 'security-review',
        title: 'Security review',
        group: 'group:default/security-reviewers',
      },
      {
        role: 'approval',
        title: 'Approval',
        group: 'group:default/platform-approvers',
      },
    ],
    distinctApprovers: true,
    requesterMayApprove: false,
    syncMode: 'manual',
    rollbackOnFailure: false,
  },
};

const NUMBER_WORDS = ['no', 'one', 'two', 'three', 'four', 'five'];

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/**
 * Describes a tier policy in one sentence, as shown in the portal, for
 * example "Production: security review + approval by two people other than
 * the requester; manual sync".
 *
 * @public
 */
export function describeTierPolicy(policy: TierPolicy): string {
  const n = policy.requiredApprovals.length;
  let gate: string;
  if (n === 0) {
    gate = 'no approval needed';
  } else {
    const roles = policy.requiredApprovals
      .map(a => a.title.toLowerCase())
      .join(' + ');
    const people =
      n > 1 && policy.distinctApprovers
        ? `${NUMBER_WORDS[n] ?? n} people`
        : 'one person';
    gate = `${roles} by ${people}${
      policy.requesterMayApprove ? '' : ' other than the requester'
    }`;
  }
  const sync =
    policy.syncMode === 'manual'
      ? 'manual sync'
      : `automatic sync${
          policy.rollbackOnFailure ? ' with rollback on failure' : ''
        }`;
  return `${capitalize(policy.tier)}: ${gate}; ${sync}`;
}
