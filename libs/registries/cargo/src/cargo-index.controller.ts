import { Controller, Get, Param, Req, Res, UseFilters } from '@nestjs/common';
import type { Request, Response } from 'express';
import { CurrentOwner, PackageAccess } from '@wharf/auth';
import { RegistryError, serveDocument, UserEntity } from '@wharf/packages-core';
import { CargoErrorFilter } from './cargo-error.filter';
import { checkCrateName, indexPath } from './cargo.metadata';
import { CargoService } from './cargo.service';

/** The sparse index (docs/protocols/cargo.md §4): config.json and one file per crate. */
@Controller('api/packages/:owner/cargo')
@UseFilters(CargoErrorFilter)
export class CargoIndexController {
  constructor(private readonly cargo: CargoService) {}

  // docs/protocols/cargo.md §4: cargo reads it first; a 401 here makes it retry with its token.
  @Get('config.json')
  @PackageAccess('read')
  config(@Req() req: Request, @Res() res: Response, @CurrentOwner() owner: UserEntity): void {
    serveDocument(req, res, this.cargo.registryConfig(owner));
  }

  // Sparse index: `1/{n}`, `2/{nn}`, `3/{c}/{nnn}`, `{ab}/{cd}/{name}` (Registry Index, "Index files").
  @Get(['1/:name', '2/:name', '3/:first/:name', ':ab/:cd/:name'])
  @PackageAccess('read')
  async index(
    @Param('name') name: string,
    @Req() req: Request,
    @Res() res: Response,
    @CurrentOwner() owner: UserEntity,
  ): Promise<void> {
    checkCrateName(name);
    // The path after `cargo/` must be the one cargo computes for the name (in lower case).
    const expected = indexPath(name).split('/');
    const segments = req.path.toLowerCase().split('/');
    const asked = segments.slice(-expected.length);
    if (asked.join('/') !== expected.join('/') || segments.at(-expected.length - 1) !== 'cargo')
      throw RegistryError.notFound(`no index file at this path for crate ${name}`);
    serveDocument(req, res, await this.cargo.indexFile(owner, name));
  }
}
