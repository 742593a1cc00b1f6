import { randomBytes } from 'node:crypto';
import type { Store } from '../store/store.js';
import { AdminAccounts } from '../store/admin-accounts.js';
import { verifyPassword } from '../domain/password-hash.js';

export const adminUser = 'admin';

export interface AdminBootstrap {
  /** Set only on the first start without a configured password: print it once, never again. */
  generatedPassword?: string;
  source: 'configured' | 'generated' | 'stored';
}

/**
 * The admin login (CONTRACT.md "Set-up"): user `admin`, password from the configuration or
 * CRM_BRIDGE_ADMIN_PASSWORD (which always resets `admin` to it); otherwise, when no admin account
 * exists yet, one is generated on first start, printed once, and only its scrypt hash is kept.
 * Further admins are added in the UI (Admins page).
 */
export async function bootstrapAdmin(store: Store, configured: string | undefined): Promise<AdminBootstrap> {
  const accounts = new AdminAccounts(store.db);
  if (configured) {
    const stored = await accounts.hashOf(adminUser);
    if (!stored || !(await verifyPassword(configured, stored))) await accounts.setPassword(adminUser, configured);
    return { source: 'configured' };
  }
  if ((await accounts.count()) > 0) return { source: 'stored' };
  const generatedPassword = randomBytes(12).toString('base64url');
  await accounts.setPassword(adminUser, generatedPassword);
  return { source: 'generated', generatedPassword };
}
