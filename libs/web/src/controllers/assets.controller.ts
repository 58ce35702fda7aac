import { Controller, Get, Param, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { RegistryError } from '@wharf/packages-core';
import { ASSETS } from '../assets/assets';

/** The stylesheet and script, by content-hashed name: cached for a year, never stale. */
@Controller('assets')
export class AssetsController {
  @Get(':name')
  serve(@Param('name') name: string, @Req() req: Request, @Res() res: Response): void {
    const asset = ASSETS.get(name);
    if (!asset) throw RegistryError.notFound('no such asset');
    res.setHeader('Content-Type', asset.contentType);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
    res.setHeader('ETag', asset.etag);
    if (req.headers['if-none-match'] === asset.etag) {
      res.status(304).end();
      return;
    }
    res.send(asset.body);
  }
}
