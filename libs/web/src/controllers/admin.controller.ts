import { Get, Param, Post, Res } from '@nestjs/common';
import type { Response } from 'express';
import { OrganizationService, parseVisibility, UserService } from '@wharf/auth';
import { OwnerKind, PackageListingQuery, RegistryError } from '@wharf/packages-core';
import { answerForm } from '../http/form-outcome';
import { WebController, WebRoute } from '../http/web.guard';
import { Web, WebRequestContext, WebRedirect } from '../http/web-request';
import { AdminModel, adminPage } from '../views/admin.view';

const LIST_LIMIT = 500;

/** Forgejo's `/admin`: users and organizations (create, disable) and storage per owner. */
@WebController('admin')
@WebRoute({ admin: true })
export class AdminController {
  constructor(
    private readonly users: UserService,
    private readonly orgs: OrganizationService,
    private readonly listing: PackageListingQuery,
  ) {}

  @Get()
  async show(@Web() web: WebRequestContext, @Res() res: Response): Promise<void> {
    res.type('html').send(await this.page(web, {}));
  }

  @Post('users')
  async createUser(@Web() web: WebRequestContext, @Res() res: Response): Promise<void> {
    const f = web.form;
    await answerForm(
      res,
      (o) => this.page(web, o),
      async () => {
        const username = (f.get('username') ?? '').trim();
        await this.users.create({
          username,
          email: f.get('email')?.trim() || undefined,
          password: f.get('password') ?? '',
          visibility: this.visibility(f.get('visibility')),
          mustChangePassword: f.get('must_change_password') === '1',
          isAdmin: f.get('admin') === '1',
        });
        return { message: `User ${username} created.` };
      },
    );
  }

  @Post('orgs')
  async createOrg(@Web() web: WebRequestContext, @Res() res: Response): Promise<void> {
    const f = web.form;
    await answerForm(
      res,
      (o) => this.page(web, o),
      async () => {
        const name = (f.get('name') ?? '').trim();
        const adminName = (f.get('admin') ?? '').trim();
        const creator = adminName ? await this.users.requireUser(adminName) : web.session!.user;
        await this.orgs.create(creator, { name, visibility: this.visibility(f.get('visibility')) });
        return { message: `Organization ${name} created.` };
      },
    );
  }

  // Disabling keeps the account and its packages; it can no longer sign in or use its tokens.
  @Post('users/:name/:action(disable|enable)')
  async setActive(
    @Web() web: WebRequestContext,
    @Param('name') name: string,
    @Param('action') action: 'disable' | 'enable',
  ): Promise<void> {
    const user = await this.users.requireUser(name);
    if (user.id === web.session!.user.id)
      throw RegistryError.invalid('you cannot disable yourself');
    await this.users.update(user, { isActive: action === 'enable' });
    throw new WebRedirect('/admin');
  }

  // A disabled organization keeps its packages; only instance admins can read them.
  @Post('orgs/:name/:action(disable|enable)')
  async setOrgActive(
    @Param('name') name: string,
    @Param('action') action: 'disable' | 'enable',
  ): Promise<void> {
    const org = await this.orgs.requireOrganization(name);
    await this.orgs.update(org, { isActive: action === 'enable' });
    throw new WebRedirect('/admin');
  }

  private visibility(name: string | null) {
    const visibility = parseVisibility(name ?? 'public');
    if (visibility === undefined) throw RegistryError.invalid(`unknown visibility ${name}`);
    return visibility;
  }

  private async page(
    web: WebRequestContext,
    extra: Pick<AdminModel, 'error' | 'message'>,
  ): Promise<string> {
    const [[users, usersTotal], [orgs, orgsTotal], storage] = await Promise.all([
      this.users.list(0, LIST_LIMIT),
      this.orgs.list(0, LIST_LIMIT),
      this.listing.storagePerOwner(),
    ]);
    const owners = await this.users.findByIds(storage.map((s) => s.ownerId));
    return adminPage(
      { user: web.session!.user, csrf: web.session!.csrfToken },
      {
        users,
        usersTotal,
        orgs: orgs.filter((o) => o.kind === OwnerKind.Organization),
        orgsTotal,
        storage: storage.map((s) => ({ ...s, owner: owners.get(s.ownerId) })),
        ...extra,
      },
    );
  }
}
