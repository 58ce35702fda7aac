import { Injectable, NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { json } from 'express';

/** The management API takes small JSON documents; nothing larger is read into memory. */
export const API_JSON_LIMIT = '1mb';

/**
 * Body parsing for `/api/v1` only (it is off globally: uploads are streams). Any body is
 * read as JSON whatever its Content-Type, since `curl -d` sends form encoding by default
 * and Forgejo scripts rarely set the header. Parse errors are answered here, as JSON,
 * because exception filters do not see middleware errors.
 */
@Injectable()
export class JsonBodyMiddleware implements NestMiddleware {
  private readonly parse = json({ limit: API_JSON_LIMIT, type: () => true, strict: true });

  use(req: Request, res: Response, next: NextFunction): void {
    this.parse(req, res, (err?: { type?: string; status?: number }) => {
      if (!err) return next();
      const tooLarge = err.type === 'entity.too.large';
      res.status(tooLarge ? 413 : 400).json({
        message: tooLarge
          ? `request body is larger than ${API_JSON_LIMIT}`
          : 'request body is not valid JSON',
      });
    });
  }
}
