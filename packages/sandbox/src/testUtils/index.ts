/**
 * Test utilities of the sandbox: the rules its simulated operators apply,
 * for tests of other packages to check what they produce against (Argo CD
 * health Lua, AppProject resource lists, AWS credentials and IAM policies).
 * The sandbox's own test helpers stay in its `__testUtils__` folders.
 *
 * @packageDocumentation
 */
export { isGroupKindPermitted } from '../controllers/argocd';
export { AwsAccess } from '../controllers/awsAccess';
export type {
  AwsAccessOptions,
  AwsCredentials,
  AwsPrincipal,
} from '../controllers/awsAccess';
export { runHealthLua } from '../controllers/lua';
export type { LuaHealthResult, RunHealthLuaOptions } from '../controllers/lua';
