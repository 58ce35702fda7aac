import {
  AccessTokenEntity,
  CleanupTarget,
  FileDescriptor,
  isComplete,
  OrgRole,
  PackageCleanupRuleEntity,
  PackageEntity,
  PackageVersionEntity,
  QuotaGroupView,
  QuotaUsedVersion,
  UserEntity,
} from '@wharf/packages-core';
import { VISIBILITY_NAMES } from '@wharf/auth';
import {
  ApiAccessToken,
  ApiCleanupRule,
  ApiCleanupTarget,
  ApiMember,
  ApiOrganization,
  ApiPackage,
  ApiPackageFile,
  ApiQuotaInfo,
  ApiQuotaUsedPackage,
  ApiUser,
} from './api-shapes';

/** Rows become response shapes here and nowhere else. */

const iso = (unix: number) => new Date(unix * 1000).toISOString().replace(/\.000Z$/, 'Z');
const EPOCH = '1970-01-01T00:00:00Z';

export interface Viewer {
  /** The caller is this user or a site admin: private fields (email, admin flag) are shown. */
  privileged: boolean;
}

export function presentUser(user: UserEntity, baseUrl: string, viewer: Viewer): ApiUser {
  return {
    id: user.id,
    login: user.name,
    login_name: '',
    source_id: 0,
    full_name: user.fullName,
    email: viewer.privileged ? user.email : '',
    avatar_url: '',
    html_url: `${baseUrl}/${encodeURIComponent(user.name)}`,
    language: '',
    is_admin: viewer.privileged && user.isAdmin,
    last_login: EPOCH,
    created: iso(user.createdUnix),
    restricted: false,
    active: user.isActive,
    prohibit_login: !user.isActive,
    location: '',
    website: '',
    description: '',
    visibility: VISIBILITY_NAMES[user.visibility],
    followers_count: 0,
    following_count: 0,
    starred_repos_count: 0,
    username: user.name,
  };
}

/** Forgejo's placeholder for a deleted creator. */
export function ghostUser(baseUrl: string): ApiUser {
  return {
    ...presentUser(
      {
        id: -1,
        name: 'Ghost',
        fullName: '',
        email: '',
        isAdmin: false,
        isActive: true,
        createdUnix: 0,
        visibility: 0,
      } as UserEntity,
      baseUrl,
      { privileged: false },
    ),
    html_url: '',
  };
}

export function presentMember(
  user: UserEntity,
  role: OrgRole,
  baseUrl: string,
  viewer: Viewer,
): ApiMember {
  return { ...presentUser(user, baseUrl, viewer), role };
}

export function presentOrganization(org: UserEntity): ApiOrganization {
  return {
    id: org.id,
    name: org.name,
    username: org.name,
    full_name: org.fullName,
    email: org.email,
    avatar_url: '',
    description: '',
    website: '',
    location: '',
    visibility: VISIBILITY_NAMES[org.visibility],
    repo_admin_change_team_access: false,
  };
}

export function presentToken(token: AccessTokenEntity, secret?: string): ApiAccessToken {
  return {
    id: token.id,
    name: token.name,
    ...(secret ? { sha1: secret } : {}),
    token_last_eight: token.tokenLastEight,
    scopes: token.scopes ? token.scopes.split(',') : [],
    created_at: iso(token.createdUnix),
    expires_at: token.expiresUnix === null ? null : iso(token.expiresUnix),
    last_used_at: token.lastUsedUnix === null ? null : iso(token.lastUsedUnix),
  };
}

export function presentPackage(
  pkg: PackageEntity,
  version: PackageVersionEntity,
  owner: ApiUser,
  creator: ApiUser,
  baseUrl: string,
): ApiPackage {
  const path = [owner.login, '-', 'packages', pkg.type, pkg.name, version.version]
    .map(encodeURIComponent)
    .join('/');
  return {
    id: version.id,
    owner,
    repository: null,
    creator,
    type: pkg.type,
    name: pkg.name,
    version: version.version,
    html_url: `${baseUrl}/${path}`,
    created_at: iso(version.createdUnix),
  };
}

/** A file whose blob has every digest (BlobDigestService.complete). */
export function presentPackageFile({ file, blob }: FileDescriptor): ApiPackageFile {
  if (!isComplete(blob)) throw new Error(`blob ${blob.id} is missing digests`);
  return {
    id: file.id,
    Size: blob.size,
    name: file.name,
    md5: blob.hashMd5,
    sha1: blob.hashSha1,
    sha256: blob.hashSha256,
    sha512: blob.hashSha512,
  };
}

export function presentQuotaInfo(packageBytes: number, groups: QuotaGroupView[]): ApiQuotaInfo {
  return {
    used: {
      size: {
        repos: { public: 0, private: 0 },
        git: { LFS: 0 },
        assets: {
          attachments: { issues: 0, releases: 0 },
          artifacts: 0,
          packages: { all: packageBytes },
        },
      },
    },
    groups,
  };
}

export function presentQuotaUsedPackage(
  ownerName: string,
  used: QuotaUsedVersion,
  baseUrl: string,
): ApiQuotaUsedPackage {
  const path = [
    ownerName,
    '-',
    'packages',
    used.package.type,
    used.package.name,
    used.version.version,
  ]
    .map(encodeURIComponent)
    .join('/');
  return {
    name: used.package.name,
    type: used.package.type,
    version: used.version.version,
    size: used.size,
    html_url: `${baseUrl}/${path}`,
  };
}

export function presentCleanupRule(rule: PackageCleanupRuleEntity): ApiCleanupRule {
  return {
    id: rule.id,
    type: rule.type,
    enabled: rule.enabled,
    keep_count: rule.keepCount,
    keep_pattern: rule.keepPattern,
    remove_days: rule.removeDays,
    remove_pattern: rule.removePattern,
    match_full_name: rule.matchFullName,
    created_at: iso(rule.createdUnix),
    updated_at: iso(rule.updatedUnix),
  };
}

export function presentCleanupTarget(target: CleanupTarget): ApiCleanupTarget {
  return { type: target.package.type, name: target.package.name, version: target.version.version };
}
