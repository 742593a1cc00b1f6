import { randomBytes } from 'node:crypto';
import type { Store } from '../store/store.js';
import { hashPassword, verifyPassword } from './password-hash.js';

export const adminUser = 'admin';

export interface AdminBootstrap {
  /** Set only on the first start without a configured password: print it once, never again. */
  generatedPassword?: string;
  source: 'configured' | 'generated' | 'stored';
}

/**
 * The admin login (CONTRACT.md "Set-up"): user `admin`, password from the configuration or
 * CRM_BRIDGE_ADMIN_PASSWORD; otherwise one is generated on first start, printed once, and only
 * its scrypt hash is kept.
 */
export async function bootstrapAdmin(store: Store, configured: string | undefined): Promise<AdminBootstrap> {
  const stored = await store.settings.get('admin_password_hash');
  if (configured) {
    if (!stored || !verifyPassword(configured, stored)) await store.settings.set('admin_password_hash', hashPassword(configured));
    return { source: 'configured' };
  }
  if (stored) return { source: 'stored' };
  const generatedPassword = randomBytes(12).toString('base64url');
  await store.settings.set('admin_password_hash', hashPassword(generatedPassword));
  return { source: 'generated', generatedPassword };
}

export async function checkAdminLogin(store: Store, username: string, password: string): Promise<boolean> {
  const stored = await store.settings.get('admin_password_hash');
  return username === adminUser && stored !== undefined && verifyPassword(password, stored);
}
