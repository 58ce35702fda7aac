import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { MAX_PATTERN_LENGTH, PACKAGE_TYPES } from '@wharf/packages-core';

const MAX_DAYS = 365 * 100;
const MAX_KEEP = 1_000_000;

/** The fields of Forgejo's package cleanup rule, as its settings form names them. */
export class EditCleanupRuleDto {
  @ApiPropertyOptional({ default: false })
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;

  @ApiPropertyOptional({ description: 'keep this many most recent versions', minimum: 0 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(MAX_KEEP)
  keep_count?: number;

  @ApiPropertyOptional({
    description: 'versions matching it are kept (RE2 syntax, whole match, case-insensitive)',
    maxLength: MAX_PATTERN_LENGTH,
  })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_PATTERN_LENGTH)
  keep_pattern?: string;

  @ApiPropertyOptional({
    description: 'only versions older than this many days are removed',
    minimum: 0,
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(MAX_DAYS)
  remove_days?: number;

  @ApiPropertyOptional({
    description:
      'when set, only versions matching it are removed (RE2 syntax, whole match, case-insensitive)',
    maxLength: MAX_PATTERN_LENGTH,
  })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_PATTERN_LENGTH)
  remove_pattern?: string;

  @ApiPropertyOptional({
    description: 'patterns see `name/version` instead of the version',
    default: false,
  })
  @IsOptional()
  @IsBoolean()
  match_full_name?: boolean;
}

export class CreateCleanupRuleDto extends EditCleanupRuleDto {
  @ApiProperty({ enum: PACKAGE_TYPES })
  @IsIn(PACKAGE_TYPES, { message: `type must be one of ${PACKAGE_TYPES.join(', ')}` })
  type: string;
}
