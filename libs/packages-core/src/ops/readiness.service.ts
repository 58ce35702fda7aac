import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { Database } from '../database/database.service';
import { BLOB_STORAGE, BlobStorage } from '../storage/blob-storage';

export interface ReadinessReport {
  ready: boolean;
  database: string;
  storage: string;
}

const PING_TIMEOUT_MS = 3000;

/** Database and storage reachability, for /readyz and the start-up check. */
@Injectable()
export class ReadinessService implements OnApplicationBootstrap {
  private readonly log = new Logger('readiness');

  constructor(
    private readonly db: Database,
    @Inject(BLOB_STORAGE) private readonly storage: BlobStorage,
  ) {}

  /** A bad S3 secret or an unreachable store is reported at start-up, not at the first upload. */
  async onApplicationBootstrap(): Promise<void> {
    const report = await this.check();
    if (report.ready)
      this.log.log(
        `ready: database ${report.database}, storage (${this.storage.kind}) ${report.storage}`,
      );
    else
      this.log.error(
        `not ready: database ${report.database}; storage (${this.storage.kind}) ${report.storage}`,
      );
  }

  async check(): Promise<ReadinessReport> {
    const [database, storage] = await Promise.all([
      probe(() => this.db.ping()),
      probe(() => this.storage.ping()),
    ]);
    return { ready: database === 'ok' && storage === 'ok', database, storage };
  }
}

async function probe(fn: () => Promise<void>): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      fn(),
      new Promise(
        (_, reject) =>
          (timer = setTimeout(
            () => reject(new Error(`no answer within ${PING_TIMEOUT_MS} ms`)),
            PING_TIMEOUT_MS,
          )),
      ),
    ]);
    return 'ok';
  } catch (err) {
    return (err as Error).message || 'unreachable';
  } finally {
    clearTimeout(timer);
  }
}
