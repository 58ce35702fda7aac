import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Min } from 'class-validator';
import type { Request, Response } from 'express';

// Forgejo's [api] DEFAULT_PAGING_NUM and MAX_RESPONSE_ITEMS.
export const DEFAULT_PAGE_SIZE = 30;
export const MAX_PAGE_SIZE = 50;

export class PageQuery {
  @ApiPropertyOptional({ description: 'page number, from 1', minimum: 1 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  page?: number;

  @ApiPropertyOptional({ description: `page size (at most ${MAX_PAGE_SIZE})`, minimum: 1 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  limit?: number;
}

export interface Page {
  page: number;
  limit: number;
  offset: number;
}

/** Forgejo clamps an oversized page size rather than refusing it. */
export function pageOf(query: PageQuery): Page {
  const page = query.page ?? 1;
  const limit = Math.min(query.limit ?? DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE);
  return { page, limit, offset: (page - 1) * limit };
}

/**
 * `X-Total-Count` and an RFC 8288 `Link` header (next, last, first, prev) as Forgejo
 * sets them, with absolute URLs built from the public base URL.
 */
export function setPagingHeaders(
  req: Request,
  res: Response,
  baseUrl: string,
  page: Page,
  total: number,
): void {
  res.setHeader('X-Total-Count', String(total));
  res.setHeader('Access-Control-Expose-Headers', 'X-Total-Count, Link');
  const last = Math.max(1, Math.ceil(total / page.limit));
  const url = new URL(req.originalUrl, 'http://placeholder');
  const link = (n: number, rel: string) => {
    url.searchParams.set('page', String(n));
    url.searchParams.set('limit', String(page.limit));
    return `<${baseUrl}${url.pathname}${url.search}>; rel="${rel}"`;
  };
  const links: string[] = [];
  if (page.page < last) links.push(link(page.page + 1, 'next'), link(last, 'last'));
  if (page.page > 1) links.push(link(1, 'first'), link(Math.min(page.page - 1, last), 'prev'));
  if (links.length) res.setHeader('Link', links.join(','));
}
