import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/*
 * Response shapes of the management API, Forgejo's field names and types (api.User,
 * api.Organization, api.AccessToken, api.Package, api.PackageFile), so its clients and
 * scripts read them unchanged. Fields Wharf has no data for carry Forgejo's empty values.
 */

export class ApiUser {
  @ApiProperty() id: number;
  @ApiProperty() login: string;
  @ApiProperty() login_name: string;
  @ApiProperty() source_id: number;
  @ApiProperty() full_name: string;
  @ApiProperty({ description: 'empty unless the caller is this user or a site admin' })
  email: string;
  @ApiProperty() avatar_url: string;
  @ApiProperty() html_url: string;
  @ApiProperty() language: string;
  @ApiProperty() is_admin: boolean;
  @ApiProperty() last_login: string;
  @ApiProperty() created: string;
  @ApiProperty() restricted: boolean;
  @ApiProperty() active: boolean;
  @ApiProperty() prohibit_login: boolean;
  @ApiProperty() location: string;
  @ApiProperty() website: string;
  @ApiProperty() description: string;
  @ApiProperty({ enum: ['public', 'limited', 'private'] }) visibility: string;
  @ApiProperty() followers_count: number;
  @ApiProperty() following_count: number;
  @ApiProperty() starred_repos_count: number;
  @ApiProperty() username: string;
}

/** A member as listed by `GET /orgs/{org}/members`: Forgejo's User plus the role (a Wharf addition). */
export class ApiMember extends ApiUser {
  @ApiProperty({ enum: ['read', 'write', 'admin'] }) role: string;
}

export class ApiOrganization {
  @ApiProperty() id: number;
  @ApiProperty() name: string;
  @ApiProperty() username: string;
  @ApiProperty() full_name: string;
  @ApiProperty() email: string;
  @ApiProperty() avatar_url: string;
  @ApiProperty() description: string;
  @ApiProperty() website: string;
  @ApiProperty() location: string;
  @ApiProperty({ enum: ['public', 'limited', 'private'] }) visibility: string;
  @ApiProperty() repo_admin_change_team_access: boolean;
}

export class ApiAccessToken {
  @ApiProperty() id: number;
  @ApiProperty() name: string;
  @ApiPropertyOptional({ description: 'the token itself: only in the response that created it' })
  sha1?: string;
  @ApiProperty() token_last_eight: string;
  @ApiProperty({ type: [String] }) scopes: string[];
  @ApiProperty() created_at: string;
  @ApiProperty({ type: String, nullable: true }) expires_at: string | null;
  @ApiProperty({ type: String, nullable: true }) last_used_at: string | null;
}

export class ApiPackage {
  @ApiProperty({ description: 'the version id' }) id: number;
  @ApiProperty({ type: ApiUser }) owner: ApiUser;
  @ApiProperty({
    type: Object,
    nullable: true,
    description: 'always null: Wharf has no repositories',
  })
  repository: null;
  @ApiProperty({ type: ApiUser }) creator: ApiUser;
  @ApiProperty() type: string;
  @ApiProperty() name: string;
  @ApiProperty() version: string;
  @ApiProperty() html_url: string;
  @ApiProperty() created_at: string;
}

export class ApiPackageFile {
  @ApiProperty() id: number;
  // Capitalised in Forgejo's JSON (a missing struct tag upstream); clients expect it so.
  @ApiProperty() Size: number;
  @ApiProperty() name: string;
  @ApiProperty() md5: string;
  @ApiProperty() sha1: string;
  @ApiProperty() sha256: string;
  @ApiProperty() sha512: string;
}

export class ApiErrorBody {
  @ApiProperty() message: string;
}

export class ApiChefPrivateKey {
  @ApiProperty({
    description: 'PKCS#1 PEM private key for knife (`client_key`): shown once, never stored',
  })
  private_key: string;
}

/** Forgejo's QuotaRuleInfo. */
export class ApiQuotaRuleInfo {
  @ApiProperty() name: string;
  @ApiProperty({ description: 'bytes; -1 = no limit' }) limit: number;
  @ApiProperty({ type: [String] }) subjects: string[];
}

/** Forgejo's QuotaGroup. */
export class ApiQuotaGroup {
  @ApiProperty() name: string;
  @ApiProperty({ type: [ApiQuotaRuleInfo] }) rules: ApiQuotaRuleInfo[];
}

class ApiQuotaUsedSizeRepos {
  @ApiProperty() public: number;
  @ApiProperty() private: number;
}
class ApiQuotaUsedSizeGit {
  @ApiProperty() LFS: number;
}
class ApiQuotaUsedSizeAttachments {
  @ApiProperty() issues: number;
  @ApiProperty() releases: number;
}
class ApiQuotaUsedSizePackages {
  @ApiProperty({ description: 'bytes of the owner’s package files' }) all: number;
}
class ApiQuotaUsedSizeAssets {
  @ApiProperty() attachments: ApiQuotaUsedSizeAttachments;
  @ApiProperty() artifacts: number;
  @ApiProperty() packages: ApiQuotaUsedSizePackages;
}
class ApiQuotaUsedSize {
  @ApiProperty() repos: ApiQuotaUsedSizeRepos;
  @ApiProperty() git: ApiQuotaUsedSizeGit;
  @ApiProperty() assets: ApiQuotaUsedSizeAssets;
}
class ApiQuotaUsed {
  @ApiProperty() size: ApiQuotaUsedSize;
}

/** Forgejo's QuotaInfo: usage (only packages count in Wharf) and the owner's groups. */
export class ApiQuotaInfo {
  @ApiProperty() used: ApiQuotaUsed;
  @ApiProperty({ type: [ApiQuotaGroup] }) groups: ApiQuotaGroup[];
}

/** Forgejo's QuotaUsedPackage. */
export class ApiQuotaUsedPackage {
  @ApiProperty() name: string;
  @ApiProperty() type: string;
  @ApiProperty() version: string;
  @ApiProperty({ description: 'bytes of the version’s files' }) size: number;
  @ApiProperty() html_url: string;
}

/** A package cleanup rule (Forgejo's fields; Forgejo has the rule but no API for it). */
export class ApiCleanupRule {
  @ApiProperty() id: number;
  @ApiProperty() type: string;
  @ApiProperty() enabled: boolean;
  @ApiProperty() keep_count: number;
  @ApiProperty() keep_pattern: string;
  @ApiProperty() remove_days: number;
  @ApiProperty() remove_pattern: string;
  @ApiProperty() match_full_name: boolean;
  @ApiProperty() created_at: string;
  @ApiProperty() updated_at: string;
}

/** A version a cleanup rule would remove now. */
export class ApiCleanupTarget {
  @ApiProperty() type: string;
  @ApiProperty() name: string;
  @ApiProperty() version: string;
}
