import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import { Config } from '@backstage/config';
import { InputError } from '@backstage/errors';
import {
  DEFAULT_TIER_POLICIES,
  RequiredApproval,
  TIERS,
  Tier,
  TierPolicy,
  isTier,
} from '@internal/plugin-logging-environments-common';

/** Where the tier overrides live in the configuration. */
export const TIERS_CONFIG_KEY = 'loggingEnvironments.tiers';

/**
 * Normalizes a group reference (`group:ns/name`, `ns/name` or `name`) to a
 * full entity ref, or returns the problem with it.
 *
 * @internal
 */
export function normalizeGroupRef(
  value: string,
  defaultNamespace = 'default',
): { ok: true; ref: string } | { ok: false; problem: string } {
  const trimmed = value.trim();
  let parsed;
  try {
    parsed = parseEntityRef(trimmed, {
      defaultKind: 'group',
      defaultNamespace,
    });
  } catch (e) {
    return {
      ok: false,
      problem: `"${trimmed}" is not an entity reference (${
        (e as Error).message
      })`,
    };
  }
  if (parsed.kind.toLocaleLowerCase('en-US') !== 'group') {
    return {
      ok: false,
      problem: `"${trimmed}" is a ${parsed.kind}, not a Group`,
    };
  }
  // The catalog's naming rules: letters, digits, "-", "_", "." (63 chars).
  const NAME = /^[a-z0-9A-Z]([-_.a-z0-9A-Z]{0,61}[a-z0-9A-Z])?$/;
  if (!NAME.test(parsed.name) || !NAME.test(parsed.namespace)) {
    return {
      ok: false,
      problem: `"${trimmed}" is not a valid group reference`,
    };
  }
  return {
    ok: true,
    ref: stringifyEntityRef({
      kind: 'group',
      namespace: parsed.namespace,
      name: parsed.name,
    }),
  };
}

function readApprovals(configs: Config[], where: string): RequiredApproval[] {
  const roles = new Set<string>();
  return configs.map((c, i) => {
    const at = `${where}.requiredApprovals[${i}]`;
    const role = c.getString('role');
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(role)) {
      throw new InputError(
        `${at}.role: must be lowercase letters, digits and "-", not "${role}"`,
      );
    }
    if (roles.has(role)) {
      throw new InputError(`${at}.role: "${role}" is listed twice`);
    }
    roles.add(role);
    const group = normalizeGroupRef(c.getString('group'));
    if (!group.ok) {
      throw new InputError(`${at}.group: ${group.problem}`);
    }
    const extendable = c.getOptionalBoolean('extendable');
    return {
      role,
      title: c.getOptionalString('title') ?? role,
      group: group.ref,
      ...(extendable !== undefined ? { extendable } : {}),
    };
  });
}

/**
 * The floor ADR-0009 sets for production, which configuration may raise but
 * not lower: at least one approval, never by the requester, a security
 * review no bootstrap can add approvers to, and a manual sync.
 */
function checkProductionFloor(policy: TierPolicy) {
  const where = `${TIERS_CONFIG_KEY}.production`;
  if (policy.requiredApprovals.length === 0) {
    throw new InputError(
      `${where}.requiredApprovals: production needs at least one approval (ADR-0009: security review + approval)`,
    );
  }
  if (policy.requesterMayApprove) {
    throw new InputError(
      `${where}.requesterMayApprove: the requester never approves a production environment`,
    );
  }
  // The security review is the requester's own team never fills: the role
  // `security-review`, or the first required approval when none is named so.
  const review =
    policy.requiredApprovals.find(a => a.role === 'security-review') ??
    policy.requiredApprovals[0];
  if (review.extendable) {
    const i = policy.requiredApprovals.indexOf(review);
    throw new InputError(
      `${where}.requiredApprovals[${i}].extendable: the production security review ("${review.role}") is never extendable; only configuration names who gives it`,
    );
  }
  if (policy.syncMode !== 'manual') {
    throw new InputError(
      `${where}.syncMode: production is synced only on request ("manual")`,
    );
  }
}

/**
 * Reads the tier policies: `DEFAULT_TIER_POLICIES` with the overrides of
 * `loggingEnvironments.tiers.<tier>` (each key given replaces the default;
 * `requiredApprovals` is replaced as a whole). Throws `InputError` naming
 * the configuration key for an unknown tier, a bad value, or a production
 * policy below ADR-0009's floor.
 *
 * @public
 */
export function readTierPolicies(config: Config): Record<Tier, TierPolicy> {
  const policies = Object.fromEntries(
    TIERS.map(t => [
      t,
      {
        ...DEFAULT_TIER_POLICIES[t],
        requiredApprovals: DEFAULT_TIER_POLICIES[t].requiredApprovals.map(
          a => ({ ...a }),
        ),
      },
    ]),
  ) as Record<Tier, TierPolicy>;
  const tiers = config.getOptionalConfig(TIERS_CONFIG_KEY);
  for (const key of tiers?.keys() ?? []) {
    const where = `${TIERS_CONFIG_KEY}.${key}`;
    if (!isTier(key)) {
      throw new InputError(
        `${where}: unknown tier "${key}" (tiers: ${TIERS.join(', ')})`,
      );
    }
    const c = tiers!.getConfig(key);
    const policy = policies[key];
    const approvals = c.getOptionalConfigArray('requiredApprovals');
    if (approvals) policy.requiredApprovals = readApprovals(approvals, where);
    policy.distinctApprovers =
      c.getOptionalBoolean('distinctApprovers') ?? policy.distinctApprovers;
    policy.requesterMayApprove =
      c.getOptionalBoolean('requesterMayApprove') ?? policy.requesterMayApprove;
    policy.rollbackOnFailure =
      c.getOptionalBoolean('rollbackOnFailure') ?? policy.rollbackOnFailure;
    const syncMode = c.getOptionalString('syncMode');
    if (syncMode !== undefined) {
      if (syncMode !== 'automatic' && syncMode !== 'manual') {
        throw new InputError(
          `${where}.syncMode: must be "automatic" or "manual", not "${syncMode}"`,
        );
      }
      policy.syncMode = syncMode;
    }
  }
  checkProductionFloor(policies.production);
  return policies;
}
