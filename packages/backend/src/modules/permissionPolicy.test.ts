import {
  AuthorizeResult,
  createPermission,
} from '@backstage/plugin-permission-common';
import { PolicyQueryUser } from '@backstage/plugin-permission-node';
import {
  loggingEnvironmentApprovePermission,
  loggingEnvironmentReadPermission,
  loggingEnvironmentSyncPermission,
} from '@internal/plugin-logging-environments-common';
import { LoggingEnvironmentsPolicy } from './permissionPolicy';

function user(name: string, groups: string[]): PolicyQueryUser {
  const userEntityRef = `user:default/${name}`;
  return {
    identity: {
      type: 'user',
      userEntityRef,
      ownershipEntityRefs: [userEntityRef, ...groups],
    },
    info: { userEntityRef, ownershipEntityRefs: [userEntityRef, ...groups] },
    token: 'token',
    credentials: {} as PolicyQueryUser['credentials'],
  } as PolicyQueryUser;
}

const approver = user('approver', ['group:default/platform-approvers']);
const security = user('security-reviewer', [
  'group:default/security-reviewers',
]);
const viewer = user('viewer', ['group:default/checkout-team']);

describe('LoggingEnvironmentsPolicy', () => {
  const policy = new LoggingEnvironmentsPolicy();
  const decide = async (permission: any, u?: PolicyQueryUser) =>
    (await policy.handle({ permission }, u)).result;

  it('lets members of an approver group approve, and nobody else', async () => {
    expect(await decide(loggingEnvironmentApprovePermission, approver)).toBe(
      AuthorizeResult.ALLOW,
    );
    expect(await decide(loggingEnvironmentApprovePermission, security)).toBe(
      AuthorizeResult.ALLOW,
    );
    expect(await decide(loggingEnvironmentApprovePermission, viewer)).toBe(
      AuthorizeResult.DENY,
    );
    expect(await decide(loggingEnvironmentApprovePermission, undefined)).toBe(
      AuthorizeResult.DENY,
    );
  });

  it('lets only platform approvers start a sync', async () => {
    expect(await decide(loggingEnvironmentSyncPermission, approver)).toBe(
      AuthorizeResult.ALLOW,
    );
    expect(await decide(loggingEnvironmentSyncPermission, security)).toBe(
      AuthorizeResult.DENY,
    );
    expect(await decide(loggingEnvironmentSyncPermission, viewer)).toBe(
      AuthorizeResult.DENY,
    );
  });

  it('lets everyone read environments and use the rest of the portal', async () => {
    expect(await decide(loggingEnvironmentReadPermission, viewer)).toBe(
      AuthorizeResult.ALLOW,
    );
    const other = createPermission({
      name: 'catalog.entity.read',
      attributes: { action: 'read' },
    });
    expect(await decide(other, viewer)).toBe(AuthorizeResult.ALLOW);
  });
});
