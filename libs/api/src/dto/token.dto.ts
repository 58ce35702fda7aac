import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayNotEmpty,
  IsArray,
  IsDateString,
  IsIn,
  IsOptional,
  IsString,
  MaxLength,
  MinLength,
} from 'class-validator';
import { ACCEPTED_SCOPE_NAMES } from '@wharf/auth';

/** Forgejo's CreateAccessTokenOption, plus an optional expiry. */
export class CreateTokenDto {
  @ApiProperty({ maxLength: 255 })
  @IsString()
  @MinLength(1)
  @MaxLength(255)
  name: string;

  @ApiProperty({
    type: [String],
    enum: ACCEPTED_SCOPE_NAMES,
    description: '`all` grants every scope',
  })
  @IsArray()
  @ArrayNotEmpty({
    message: `scopes must contain at least one of ${ACCEPTED_SCOPE_NAMES.join(', ')}`,
  })
  @IsIn(ACCEPTED_SCOPE_NAMES, {
    each: true,
    message: `each of scopes must be one of ${ACCEPTED_SCOPE_NAMES.join(', ')}`,
  })
  scopes: string[];

  @ApiPropertyOptional({
    format: 'date-time',
    description: 'when the token stops working (a Wharf addition)',
  })
  @IsOptional()
  @IsDateString({}, { message: 'expires_at must be an ISO 8601 date-time' })
  expires_at?: string;
}
