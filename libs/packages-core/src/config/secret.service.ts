import { Injectable } from '@nestjs/common';
import { createHmac, randomBytes } from 'node:crypto';
import { AppConfig } from './config';
import { Database, isUniqueViolation } from '../database/database.service';
import { AppSettingEntity } from '../entities';

const SETTING = 'secret';

/**
 * The signing secret: REGISTRY_SECRET, or one generated on first start and kept in the
 * database — shared state, so every replica derives the same keys from it.
 */
@Injectable()
export class SecretService {
  private cached?: string;

  constructor(
    private readonly config: AppConfig,
    private readonly db: Database,
  ) {}

  async secret(): Promise<string> {
    if (this.config.secret) return this.config.secret;
    if (this.cached) return this.cached;
    const found = await this.db.manager.findOneBy(AppSettingEntity, { name: SETTING });
    if (found) return (this.cached = found.value);
    const value = randomBytes(48).toString('base64url');
    try {
      await this.db.manager.insert(AppSettingEntity, { name: SETTING, value });
      return (this.cached = value);
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      // another replica generated it first: use theirs
      return (this.cached = (
        await this.db.manager.findOneByOrFail(AppSettingEntity, { name: SETTING })
      ).value);
    }
  }

  /** A purpose-specific key (e.g. `container-jwt`), so one secret never signs two kinds of thing. */
  async deriveKey(purpose: string): Promise<Buffer> {
    return createHmac('sha256', await this.secret())
      .update(`wharf:${purpose}`)
      .digest();
  }
}
