/**
 * Encryption at rest for OAuth tokens: AES-256-GCM, a fresh 96-bit IV per write, the auth tag checked on read
 * (a tampered or foreign ciphertext fails loudly instead of yielding garbage). The portal id is bound as
 * additional authenticated data, so one portal's blob cannot be replayed under another portal's key.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { z } from 'zod';

/** 32 bytes as base64 (44 chars) or hex (64 chars). */
export const TokenEncryptionKeySchema = z
  .string()
  .trim()
  .transform((value, ctx) => {
    const bytes = /^[0-9a-fA-F]{64}$/.test(value) ? Buffer.from(value, 'hex') : Buffer.from(value, 'base64');
    if (bytes.length !== 32 || (!/^[0-9a-fA-F]{64}$/.test(value) && bytes.toString('base64') !== value)) {
      ctx.addIssue({
        code: 'custom',
        message:
          'expected 32 random bytes as base64 (44 characters) or hex (64 characters), e.g. `openssl rand -base64 32`',
      });
      return z.NEVER;
    }
    return bytes;
  });

const VERSION = 'v1';

export class TokenCipher {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error('AES-256-GCM needs a 32-byte key');
  }

  encrypt(plaintext: string, portalId: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(portalId));
    const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [
      VERSION,
      iv.toString('base64'),
      cipher.getAuthTag().toString('base64'),
      data.toString('base64'),
    ].join('.');
  }

  decrypt(sealed: string, portalId: string): string {
    const [version, iv, tag, data] = sealed.split('.');
    if (version !== VERSION || !iv || !tag || data === undefined)
      throw new Error('not an encrypted token blob');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64'));
    decipher.setAAD(Buffer.from(portalId));
    decipher.setAuthTag(Buffer.from(tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(data, 'base64')), decipher.final()]).toString('utf8');
  }
}
