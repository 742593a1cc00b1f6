import { createCipheriv, createDecipheriv, createHmac, randomBytes, scryptSync } from 'node:crypto';
import { BridgeError } from '../domain/errors.js';

/**
 * AES-256-GCM encryption of stored credentials with a key derived from `secretKey`.
 * Format: `v1.` + base64url(iv[12] | tag[16] | ciphertext). The row's identity is bound in as
 * additional authenticated data, so a ciphertext copied onto another row fails to decrypt.
 */
const version = 'v1.';
const salt = 'crm-bridge/credentials/v1';

export class SecretBox {
  private readonly key: Buffer;

  constructor(secretKey: string) {
    if (secretKey.length < 16) throw new BridgeError('CONFIG', 'secretKey: must be at least 16 characters');
    // scrypt makes a short or human-chosen secretKey expensive to brute-force from a stolen database.
    this.key = scryptSync(secretKey, salt, 32, { N: 2 ** 14, r: 8, p: 1 });
  }

  /** A key for one purpose (e.g. signing Message-IDs), derived so it never reveals the master key. */
  derivedKey(purpose: string): string {
    return createHmac('sha256', this.key).update(`crm-bridge/${purpose}`).digest('hex');
  }

  encrypt(plaintext: string, context: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return version + Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
  }

  decrypt(sealed: string, context: string): string {
    if (!sealed.startsWith(version)) throw new BridgeError('INTERNAL', 'stored secret has an unknown format');
    const raw = Buffer.from(sealed.slice(version.length), 'base64url');
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, 12));
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(raw.subarray(12, 28));
      return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
    } catch (error) {
      throw new BridgeError('CONFIG', 'cannot decrypt a stored secret: secretKey differs from the key the database was written with', { cause: error });
    }
  }
}
