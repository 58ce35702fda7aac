import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { PACKAGE_SUBJECTS } from '@wharf/packages-core';

const SUBJECT_MESSAGE = `each subject must be one of ${PACKAGE_SUBJECTS.join(', ')} (Wharf stores only packages)`;
// Names go in URL paths: no slashes, no control characters.
const QUOTA_NAME = /^[^/\\\p{Cc}]+$/u;
const NAME_MESSAGE = 'name must not contain slashes or control characters';

/** Forgejo's CreateQuotaRuleOptions. */
export class CreateQuotaRuleDto {
  @ApiProperty({ maxLength: 255 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(255)
  @Matches(QUOTA_NAME, { message: NAME_MESSAGE })
  name: string;

  @ApiProperty({ description: 'bytes; -1 for no limit', minimum: -1 })
  @Type(() => Number)
  @IsInt()
  @Min(-1)
  limit: number;

  @ApiProperty({ enum: PACKAGE_SUBJECTS, isArray: true })
  @IsArray()
  @ArrayMaxSize(PACKAGE_SUBJECTS.length)
  @IsIn(PACKAGE_SUBJECTS, { each: true, message: SUBJECT_MESSAGE })
  subjects: string[];
}

/** Forgejo's EditQuotaRuleOptions. */
export class EditQuotaRuleDto {
  @ApiPropertyOptional({ description: 'bytes; -1 for no limit', minimum: -1 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(-1)
  limit?: number;

  @ApiPropertyOptional({ enum: PACKAGE_SUBJECTS, isArray: true })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(PACKAGE_SUBJECTS.length)
  @IsIn(PACKAGE_SUBJECTS, { each: true, message: SUBJECT_MESSAGE })
  subjects?: string[];
}

/** Forgejo's CreateQuotaGroupOptions: rules that do not exist yet are created. */
export class CreateQuotaGroupDto {
  @ApiProperty({ maxLength: 255 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(255)
  @Matches(QUOTA_NAME, { message: NAME_MESSAGE })
  name: string;

  @ApiPropertyOptional({ type: [CreateQuotaRuleDto] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @ValidateNested({ each: true })
  @Type(() => CreateQuotaRuleDto)
  rules?: CreateQuotaRuleDto[];
}

/** Forgejo's SetUserQuotaGroupsOptions. */
export class SetQuotaGroupsDto {
  @ApiProperty({ type: [String] })
  @IsArray()
  @ArrayMaxSize(100)
  @IsString({ each: true })
  groups: string[];
}

export class QuotaCheckQuery {
  @ApiProperty({ description: 'a quota subject, e.g. size:assets:packages:all' })
  @IsString()
  subject: string;
}
