import { IdentityApi } from '@backstage/core-plugin-api';

/** Where the chosen demo user is kept: per browser tab, so two tabs can be two people. */
export const DEMO_USER_STORAGE_KEY = 'logging-environments.demo-user';

/**
 * Wraps the proxied identity so that signing out forgets the chosen demo
 * user, and the sign-in page offers the choice again.
 */
export class DemoIdentity implements IdentityApi {
  constructor(private readonly inner: IdentityApi) {}

  getProfileInfo() {
    return this.inner.getProfileInfo();
  }
  getBackstageIdentity() {
    return this.inner.getBackstageIdentity();
  }
  getCredentials() {
    return this.inner.getCredentials();
  }
  async signOut() {
    window.sessionStorage.removeItem(DEMO_USER_STORAGE_KEY);
    await this.inner.signOut();
  }
}
