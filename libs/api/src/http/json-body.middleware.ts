import { Injectable, NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { json } from 'express';
import { assertJsonDepth } from '@wharf/packages-core';

/** The management API takes small JSON documents; nothing larger is read into memory. */
export const API_JSON_LIMIT = '1mb';

/**
 * Body parsing for `/api/v1` only (it is off globally: uploads are streams). Any body is
 * read as JSON whatever its Content-Type, since `curl -d` sends form encoding by default
 * and Forgejo scripts rarely set the header. The raw bytes are checked for depth before
 * parsing, so a body nested 100,000 levels deep is a 400, not a stack overflow in the
 * validators. Parse errors are answered here, as JSON, because exception filters do not
 * see middleware errors.
 */
@Injectable()
export class JsonBodyMiddleware implements NestMiddleware {
  private readonly parse = json({
    limit: API_JSON_LIMIT,
    type: () => true,
    strict: true,
    verify: (_req, _res, buf) => checkDepth(buf),
  });

  use(req: Request, res: Response, next: NextFunction): void {
    this.parse(req, res, (err?: { type?: string; status?: number; message?: string }) => {
      if (!err) return next();
      if (err.type === 'entity.too.large')
        return void res
          .status(413)
          .json({ message: `request body is larger than ${API_JSON_LIMIT}` });
      const refused = err.type === TOO_DEEP ? err.message : 'request body is not valid JSON';
      res.status(400).json({ message: refused });
    });
  }
}

const TOO_DEEP = 'entity.too.deep';

/** body-parser rewrites the status of what `verify` throws: hand it a plain, tagged error. */
function checkDepth(buf: Buffer): void {
  try {
    assertJsonDepth(buf);
  } catch (err) {
    throw Object.assign(new Error(`request body: ${(err as Error).message}`), { type: TOO_DEEP });
  }
}
