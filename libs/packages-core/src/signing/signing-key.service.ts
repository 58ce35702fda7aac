import { Injectable } from '@nestjs/common';
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPair,
  KeyObject,
  sign,
} from 'node:crypto';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import * as openpgp from 'openpgp';
import { SecretService } from '../config/secret.service';
import { Database, isUniqueViolation } from '../database/database.service';
import { nowUnix, UserSettingEntity } from '../entities';
import { seal, unseal } from './sealed-secret';

const generateRsa = promisify(generateKeyPair);

/** RSA 3072 v4 keys: what apt's gpgv, rpm 4.x, pacman's gpgme and dnf all verify. */
const OPENPGP_RSA_BITS = 3072;
/** apk-tools signs indexes with RSA; Forgejo and abuild make 4096-bit keys. */
const APK_RSA_BITS = 4096;
const SHA256 = openpgp.enums.hash.sha256;
const SIGN_CONFIG = { preferredHashAlgorithm: SHA256 };
const CACHE_LIMIT = 256;

/** An OpenPGP repository key of one owner for one format: the public half and signing. */
export interface OpenPgpSigner {
  /** ASCII-armoured public key, served as `repository.key` / `gpgkey=`. */
  readonly armoredPublicKey: string;
  readonly binaryPublicKey: Uint8Array;
  /** 40 upper-case hex digits. */
  readonly fingerprint: string;
  /** 16 upper-case hex digits. */
  readonly keyId: string;
  /** A detached signature (SHA-256): armoured text, or the raw signature packet. */
  signDetached(data: Uint8Array | string, options: { armor: true }): Promise<string>;
  signDetached(data: Uint8Array | string, options: { armor: false }): Promise<Uint8Array>;
  /** A detached binary signature over a stream (a package file), read once, never held whole. */
  signStream(data: Readable): Promise<Uint8Array>;
  /** A cleartext-signed document (apt's `InRelease`). */
  signCleartext(text: string): Promise<string>;
}

/** An RSA key of one owner for one format (apk index signing). */
export interface RsaSigner {
  /** SPKI PEM (`-----BEGIN PUBLIC KEY-----`). */
  readonly publicKeyPem: string;
  /** Lower-case hex SHA-1 of the SPKI DER: stable, for key file names. */
  readonly fingerprint: string;
  /** PKCS#1 v1.5 signature of `data` with the given digest. */
  sign(data: Uint8Array, hash: 'sha1' | 'sha256'): Buffer;
}

interface StoredKey {
  publicKey: string;
  privateKey: string;
}

/**
 * Repository signing keys (docs/protocols/core.md): one key pair per owner and purpose
 * (`debian`, `rpm`, `arch` for OpenPGP; `alpine` for RSA), made on first use. The row
 * lives in `user_setting` beside the owner (deleted with it); the private half is sealed
 * with a key derived from REGISTRY_SECRET. Two replicas making the first key at once
 * race on the primary key: the loser discards its pair and uses the winner's, so every
 * replica signs with the same key. Parsed keys are cached; a key never changes once made.
 */
@Injectable()
export class SigningKeyService {
  private readonly openPgpKeys = new Map<string, Promise<OpenPgpSigner>>();
  private readonly rsaKeys = new Map<string, Promise<RsaSigner>>();

  constructor(
    private readonly db: Database,
    private readonly secrets: SecretService,
  ) {}

  /** The owner's OpenPGP key for `purpose`, created on first use. */
  openPgp(ownerId: number, purpose: string): Promise<OpenPgpSigner> {
    return this.cached(this.openPgpKeys, `${ownerId}:${purpose}`, async () => {
      const settingKey = `signing.openpgp.${purpose}`;
      const stored = await this.loadOrCreate(ownerId, settingKey, async () => {
        const { publicKey, privateKey } = await openpgp.generateKey({
          type: 'rsa',
          rsaBits: OPENPGP_RSA_BITS,
          userIDs: [{ name: `Wharf ${purpose} repository signing key` }],
          format: 'armored',
        });
        return { publicKey, privateKey };
      });
      const privateKey = await openpgp.readPrivateKey({ armoredKey: stored.privateKey });
      return openPgpSigner(privateKey, stored.publicKey);
    });
  }

  /** The owner's RSA key for `purpose`, created on first use. */
  rsa(ownerId: number, purpose: string): Promise<RsaSigner> {
    return this.cached(this.rsaKeys, `${ownerId}:${purpose}`, async () => {
      const settingKey = `signing.rsa.${purpose}`;
      const stored = await this.loadOrCreate(ownerId, settingKey, async () => {
        const pair = await generateRsa('rsa', { modulusLength: APK_RSA_BITS });
        return {
          publicKey: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
          privateKey: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
        };
      });
      return rsaSigner(createPrivateKey(stored.privateKey), stored.publicKey);
    });
  }

  private async loadOrCreate(
    ownerId: number,
    settingKey: string,
    generate: () => Promise<StoredKey>,
  ): Promise<StoredKey> {
    const sealKey = await this.secrets.deriveKey('signing-keys');
    const context = `${ownerId}:${settingKey}`;
    const open = (row: UserSettingEntity): StoredKey => {
      const value = JSON.parse(row.value) as StoredKey;
      return { publicKey: value.publicKey, privateKey: unseal(sealKey, value.privateKey, context) };
    };
    const found = await this.db.manager.findOneBy(UserSettingEntity, {
      userId: ownerId,
      key: settingKey,
    });
    if (found) return open(found);
    const made = await generate();
    const value = JSON.stringify({
      publicKey: made.publicKey,
      privateKey: seal(sealKey, made.privateKey, context),
    });
    try {
      await this.db.manager.insert(UserSettingEntity, {
        userId: ownerId,
        key: settingKey,
        value,
        updatedUnix: nowUnix(),
      });
      return made;
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      // another replica made the key first: sign with theirs
      return open(
        await this.db.manager.findOneByOrFail(UserSettingEntity, {
          userId: ownerId,
          key: settingKey,
        }),
      );
    }
  }

  private cached<T>(map: Map<string, Promise<T>>, id: string, load: () => Promise<T>): Promise<T> {
    const hit = map.get(id);
    if (hit) return hit;
    if (map.size >= CACHE_LIMIT) map.delete(map.keys().next().value as string);
    const loading = load();
    map.set(id, loading);
    // a failed load (database down) is retried by the next caller, not remembered
    loading.catch(() => map.delete(id));
    return loading;
  }
}

async function openPgpSigner(
  privateKey: openpgp.PrivateKey,
  armoredPublicKey: string,
): Promise<OpenPgpSigner> {
  const publicKey = await openpgp.readKey({ armoredKey: armoredPublicKey });
  const message = (data: Uint8Array | string) =>
    typeof data === 'string'
      ? openpgp.createMessage({ binary: Buffer.from(data, 'utf8') })
      : openpgp.createMessage({ binary: data });
  async function signDetached(data: Uint8Array | string, options: { armor: true }): Promise<string>;
  async function signDetached(
    data: Uint8Array | string,
    options: { armor: false },
  ): Promise<Uint8Array>;
  async function signDetached(data: Uint8Array | string, options: { armor: boolean }) {
    const signed = await message(data);
    return options.armor
      ? openpgp.sign({
          message: signed,
          signingKeys: privateKey,
          detached: true,
          format: 'armored',
          config: SIGN_CONFIG,
        })
      : openpgp.sign({
          message: signed,
          signingKeys: privateKey,
          detached: true,
          format: 'binary',
          config: SIGN_CONFIG,
        });
  }
  return {
    armoredPublicKey,
    binaryPublicKey: publicKey.write(),
    fingerprint: publicKey.getFingerprint().toUpperCase(),
    keyId: publicKey.getKeyID().toHex().toUpperCase(),
    signDetached,
    async signStream(data: Readable): Promise<Uint8Array> {
      const signed = await openpgp.createMessage({
        binary: Readable.toWeb(data) as unknown as ReadableStream<Uint8Array>,
      });
      const signature = await openpgp.sign({
        message: signed,
        signingKeys: privateKey,
        detached: true,
        format: 'binary',
        config: SIGN_CONFIG,
      });
      return collect(signature as unknown as ReadableStream<Uint8Array> | Uint8Array);
    },
    async signCleartext(text: string): Promise<string> {
      return openpgp.sign({
        message: await openpgp.createCleartextMessage({ text }),
        signingKeys: privateKey,
        config: SIGN_CONFIG,
      });
    },
  };
}

function rsaSigner(privateKey: KeyObject, publicKeyPem: string): RsaSigner {
  const der = createPublicKey(publicKeyPem).export({ type: 'spki', format: 'der' });
  return {
    publicKeyPem,
    fingerprint: createHash('sha1').update(der).digest('hex'),
    sign: (data, hash) => sign(hash, data, privateKey),
  };
}

async function collect(output: ReadableStream<Uint8Array> | Uint8Array): Promise<Uint8Array> {
  if (output instanceof Uint8Array) return output;
  const chunks: Uint8Array[] = [];
  const reader = output.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}
