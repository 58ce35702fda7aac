import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsBoolean,
  IsEmail,
  IsIn,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  MinLength,
} from 'class-validator';
import { OWNER_NAME_MAX_LENGTH, OWNER_NAME_PATTERN, PASSWORD_MIN_LENGTH } from '@wharf/auth';

export const VISIBILITIES = ['public', 'limited', 'private'] as const;
export const NAME_MESSAGE =
  'username may contain only letters, digits, "-", "_" and "." (not first, last or doubled)';

/** Forgejo's CreateUserOption (fields Wharf has no use for, such as source_id, are ignored). */
export class CreateUserDto {
  @ApiProperty({ maxLength: OWNER_NAME_MAX_LENGTH })
  @IsString()
  @MaxLength(OWNER_NAME_MAX_LENGTH)
  @Matches(OWNER_NAME_PATTERN, { message: NAME_MESSAGE })
  username: string;

  @ApiProperty({ format: 'email' })
  @IsEmail({}, { message: 'email must be an email address' })
  @MaxLength(255)
  email: string;

  @ApiProperty({ minLength: PASSWORD_MIN_LENGTH })
  @IsString()
  @MinLength(PASSWORD_MIN_LENGTH)
  @MaxLength(1024)
  password: string;

  @ApiPropertyOptional({ description: 'recorded; Wharf has no web sign-in that would enforce it' })
  @IsOptional()
  @IsBoolean()
  must_change_password?: boolean;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(255)
  full_name?: string;

  @ApiPropertyOptional({ enum: VISIBILITIES })
  @IsOptional()
  @IsIn(VISIBILITIES)
  visibility?: (typeof VISIBILITIES)[number];
}

/** Forgejo's EditUserOption, the fields Wharf stores. */
export class EditUserDto {
  @ApiPropertyOptional({ format: 'email' })
  @IsOptional()
  @IsEmail({}, { message: 'email must be an email address' })
  @MaxLength(255)
  email?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(255)
  full_name?: string;

  @ApiPropertyOptional({ minLength: PASSWORD_MIN_LENGTH })
  @IsOptional()
  @IsString()
  @MinLength(PASSWORD_MIN_LENGTH)
  @MaxLength(1024)
  password?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean()
  must_change_password?: boolean;

  @ApiPropertyOptional({ description: 'false disables every credential of the account' })
  @IsOptional()
  @IsBoolean()
  active?: boolean;

  @ApiPropertyOptional({ description: 'site administrator' })
  @IsOptional()
  @IsBoolean()
  admin?: boolean;

  @ApiPropertyOptional({ enum: VISIBILITIES })
  @IsOptional()
  @IsIn(VISIBILITIES)
  visibility?: (typeof VISIBILITIES)[number];
}
