import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEmail, IsIn, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { OWNER_NAME_MAX_LENGTH, OWNER_NAME_PATTERN } from '@wharf/auth';
import { OrgRole } from '@wharf/packages-core';
import { NAME_MESSAGE, VISIBILITIES } from './user.dto';

/** Forgejo's CreateOrgOption. */
export class CreateOrgDto {
  @ApiProperty({ maxLength: OWNER_NAME_MAX_LENGTH })
  @IsString()
  @MaxLength(OWNER_NAME_MAX_LENGTH)
  @Matches(OWNER_NAME_PATTERN, { message: NAME_MESSAGE })
  username: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(255)
  full_name?: string;

  @ApiPropertyOptional({ format: 'email' })
  @IsOptional()
  @IsEmail({}, { message: 'email must be an email address' })
  @MaxLength(255)
  email?: string;

  @ApiPropertyOptional({ enum: VISIBILITIES, default: 'public' })
  @IsOptional()
  @IsIn(VISIBILITIES)
  visibility?: (typeof VISIBILITIES)[number];
}

/** Forgejo's EditOrgOption, the fields Wharf stores. */
export class EditOrgDto {
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(255)
  full_name?: string;

  @ApiPropertyOptional({ format: 'email' })
  @IsOptional()
  @IsEmail({}, { message: 'email must be an email address' })
  @MaxLength(255)
  email?: string;

  @ApiPropertyOptional({ enum: VISIBILITIES })
  @IsOptional()
  @IsIn(VISIBILITIES)
  visibility?: (typeof VISIBILITIES)[number];
}

const ROLES = Object.values(OrgRole);

/** The member's role (Forgejo has teams instead; this is Wharf's simpler model). */
export class SetMemberDto {
  @ApiProperty({ enum: ROLES })
  @IsIn(ROLES, { message: `role must be one of ${ROLES.join(', ')}` })
  role: OrgRole;
}
