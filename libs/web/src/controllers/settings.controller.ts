import { Get, Post, Res } from '@nestjs/common';
import type { Response } from 'express';
import { AccessTokenService, OrganizationService, parseScopes } from '@wharf/auth';
import {
  CleanupRuleService,
  OrgRole,
  QuotaService,
  RegistryError,
  UserEntity,
} from '@wharf/packages-core';
import { answerForm } from '../http/form-outcome';
import { WebController, WebRoute } from '../http/web.guard';
import { Web, WebRequestContext, WebRedirect } from '../http/web-request';
import {
  OwnerHousekeeping,
  SCOPE_CATEGORIES,
  SettingsModel,
  settingsPage,
} from '../views/settings.view';

/** Forgejo's `/user/settings/applications`: tokens, organizations, storage and cleanup rules. */
@WebController('user/settings/applications')
@WebRoute({ signedIn: true })
export class SettingsController {
  constructor(
    private readonly tokens: AccessTokenService,
    private readonly orgs: OrganizationService,
    private readonly quota: QuotaService,
    private readonly cleanup: CleanupRuleService,
  ) {}

  @Get()
  async show(@Web() web: WebRequestContext, @Res() res: Response): Promise<void> {
    res.type('html').send(await this.page(web, {}));
  }

  // Forgejo's "Generate token": the secret is in this response only.
  @Post()
  async create(@Web() web: WebRequestContext, @Res() res: Response): Promise<void> {
    const user = web.session!.user;
    const name = (web.form.get('name') ?? '').trim();
    const requested = SCOPE_CATEGORIES.map((c) => web.form.get(`scope-${c}`) ?? '').filter(
      (s) => s !== '',
    );
    const scopes = parseScopes(requested);
    const expires = web.form.get('expires') ?? '';
    await answerForm(
      res,
      (o) => this.page(web, o),
      async () => {
        if ('unknown' in scopes) throw RegistryError.invalid(`unknown scope ${scopes.unknown}`);
        if (!scopes.scopes.length) throw RegistryError.invalid('choose at least one scope');
        const expiresUnix = expires ? parseExpiry(expires) : null;
        const { token } = await this.tokens.create(user.id, {
          name,
          scopes: scopes.scopes,
          expiresUnix,
        });
        return { created: { name, secret: token } };
      },
    );
  }

  // Forgejo's "Delete" beside a token.
  @Post('delete')
  async revoke(@Web() web: WebRequestContext): Promise<void> {
    const id = web.form.get('id') ?? '';
    if (!/^\d+$/.test(id)) throw RegistryError.invalid('no token named');
    await this.tokens.delete(web.session!.user.id, id);
    throw new WebRedirect('/user/settings/applications');
  }

  private async page(
    web: WebRequestContext,
    extra: Pick<SettingsModel, 'created' | 'error' | 'message'>,
  ): Promise<string> {
    const user = web.session!.user;
    const [[tokens], orgs] = await Promise.all([
      this.tokens.list(user.id, 0, 1000),
      this.orgs.membershipsOf(user.id),
    ]);
    const managed = [user, ...orgs.filter((m) => m.role === OrgRole.Admin).map((m) => m.org)];
    const housekeeping = await Promise.all(managed.map((o) => this.housekeeping(o)));
    return settingsPage(
      { user, csrf: web.session!.csrfToken },
      { tokens, orgs, housekeeping, ...extra },
    );
  }

  private async housekeeping(owner: UserEntity): Promise<OwnerHousekeeping> {
    const [usage, groups, rules] = await Promise.all([
      this.quota.usage(owner.id),
      this.quota.groupsOf(owner.id),
      this.cleanup.list(owner.id),
    ]);
    return { owner, usedBytes: usage.bytes, versions: usage.versions, groups, rules };
  }
}

/** `YYYY-MM-DD` → the end of that day (UTC), which must be in the future. */
function parseExpiry(date: string): number {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) throw RegistryError.invalid('the expiry is not a date');
  const unix = Math.floor(Date.parse(`${date}T23:59:59Z`) / 1000);
  if (!Number.isFinite(unix) || unix <= Date.now() / 1000)
    throw RegistryError.invalid('the expiry must be in the future');
  return unix;
}
