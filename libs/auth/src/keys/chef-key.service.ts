import { Injectable } from '@nestjs/common';
import { createPublicKey, generateKeyPair, KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { Database, nowUnix, RegistryError, UserSettingEntity } from '@wharf/packages-core';

const generateRsa = promisify(generateKeyPair);

/** The user setting that holds a user's Chef public key (Forgejo's name for it). */
export const CHEF_PUBLIC_KEY_SETTING = 'chef.public_pem';

// Chef Infra Server creates 2048-bit keys; below that a key is too weak to sign in with.
const MIN_BITS = 2048;
const MAX_BITS = 16384;
const GENERATED_BITS = 2048;

/**
 * Each user's RSA public key for Chef's signed requests (docs/protocols/chef.md §5):
 * knife signs with the private key, which Wharf never stores. A key is a credential, so
 * it lives with identity; the Chef registry reads it to verify a request.
 */
@Injectable()
export class ChefKeyService {
  constructor(private readonly db: Database) {}

  /**
   * Registers `pem` (an RSA public key, SPKI `PUBLIC KEY` or PKCS#1 `RSA PUBLIC KEY`) as
   * the user's, replacing any other; 400 for anything else.
   */
  async register(userId: number, pem: string): Promise<void> {
    await this.store(userId, parsePublicKey(pem));
  }

  /** Makes a new pair, keeps its public half and returns the private key (PKCS#1 PEM, as knife reads it). */
  async generate(userId: number): Promise<string> {
    const { publicKey, privateKey } = await generateRsa('rsa', { modulusLength: GENERATED_BITS });
    await this.store(userId, publicKey);
    return privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  }

  /** Forgets the user's key: signed requests of theirs are refused from now on. */
  async remove(userId: number): Promise<boolean> {
    const result = await this.db.manager.delete(UserSettingEntity, {
      userId,
      key: CHEF_PUBLIC_KEY_SETTING,
    });
    return (result.affected ?? 0) > 0;
  }

  /** The user's public key, or null when none is registered. */
  async publicKey(userId: number): Promise<KeyObject | null> {
    const row = await this.db.manager.findOneBy(UserSettingEntity, {
      userId,
      key: CHEF_PUBLIC_KEY_SETTING,
    });
    return row ? createPublicKey(row.value) : null;
  }

  private async store(userId: number, key: KeyObject): Promise<void> {
    const value = key.export({ type: 'spki', format: 'pem' }).toString();
    await this.db.manager.upsert(
      UserSettingEntity,
      { userId, key: CHEF_PUBLIC_KEY_SETTING, value, updatedUnix: nowUnix() },
      ['userId', 'key'],
    );
  }
}

function parsePublicKey(pem: string): KeyObject {
  if (!/-----BEGIN (RSA )?PUBLIC KEY-----/.test(pem))
    throw RegistryError.invalid(
      'public_key must be a PEM-encoded RSA public key ("-----BEGIN PUBLIC KEY-----"), never the private key',
    );
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem, format: 'pem' });
  } catch {
    throw RegistryError.invalid('public_key is not a readable PEM public key');
  }
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (key.asymmetricKeyType !== 'rsa')
    throw RegistryError.invalid('public_key must be an RSA key: Chef signs requests with RSA');
  if (bits < MIN_BITS || bits > MAX_BITS)
    throw RegistryError.invalid(
      `public_key must have ${MIN_BITS} to ${MAX_BITS} bits, not ${bits}`,
    );
  return key;
}
