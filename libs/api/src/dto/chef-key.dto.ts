import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';

/** The caller's Chef public key (docs/protocols/chef.md §5), PEM-encoded. */
export class ChefPublicKeyDto {
  @ApiProperty({ description: 'RSA public key, PEM ("-----BEGIN PUBLIC KEY-----")' })
  @IsString()
  @MaxLength(16 * 1024)
  public_key: string;
}
