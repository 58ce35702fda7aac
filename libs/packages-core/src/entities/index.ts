import { AccessTokenEntity } from './access-token.entity';
import { AppSettingEntity } from './app-setting.entity';
import { DocumentGenerationEntity } from './document-generation.entity';
import { IndexSegmentEntity } from './index-segment.entity';
import { JobLeaseEntity } from './job-lease.entity';
import { LoginAttemptEntity } from './login-attempt.entity';
import { OrgMemberEntity } from './org-member.entity';
import { PackageCleanupRuleEntity } from './package-cleanup-rule.entity';
import { PackageBlobUploadEntity } from './package-blob-upload.entity';
import { PackageBlobEntity } from './package-blob.entity';
import { PackageFileEntity } from './package-file.entity';
import { PackagePropertyEntity } from './package-property.entity';
import { PackageVersionEntity } from './package-version.entity';
import { PackageEntity } from './package.entity';
import {
  QuotaGroupEntity,
  QuotaGroupMappingEntity,
  QuotaGroupRuleEntity,
  QuotaRuleEntity,
} from './quota.entity';
import { UserSettingEntity } from './user-setting.entity';
import { UserEntity } from './user.entity';
import { WebSessionEntity } from './web-session.entity';

export * from './access-token.entity';
export * from './app-setting.entity';
export * from './column-types';
export * from './document-generation.entity';
export * from './index-segment.entity';
export * from './job-lease.entity';
export * from './login-attempt.entity';
export * from './org-member.entity';
export * from './package-blob-upload.entity';
export * from './package-cleanup-rule.entity';
export * from './package-blob.entity';
export * from './package-file.entity';
export * from './package-property.entity';
export * from './package-version.entity';
export * from './package.entity';
export * from './quota.entity';
export * from './user-setting.entity';
export * from './user.entity';
export * from './web-session.entity';

export const ENTITIES = [
  UserEntity,
  OrgMemberEntity,
  AccessTokenEntity,
  PackageEntity,
  PackageVersionEntity,
  PackageFileEntity,
  PackageBlobEntity,
  PackagePropertyEntity,
  PackageBlobUploadEntity,
  AppSettingEntity,
  LoginAttemptEntity,
  DocumentGenerationEntity,
  UserSettingEntity,
  IndexSegmentEntity,
  QuotaRuleEntity,
  QuotaGroupEntity,
  QuotaGroupRuleEntity,
  QuotaGroupMappingEntity,
  PackageCleanupRuleEntity,
  JobLeaseEntity,
  WebSessionEntity,
];
