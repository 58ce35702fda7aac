import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { PACKAGE_TYPES, PackageType } from '@wharf/packages-core';
import { PageQuery } from '../http/paging';

export class PackageListQuery extends PageQuery {
  @ApiPropertyOptional({ enum: PACKAGE_TYPES })
  @IsOptional()
  @IsIn(PACKAGE_TYPES, { message: 'type must be a package type such as npm, maven or container' })
  type?: PackageType;

  @ApiPropertyOptional({ description: 'part of the package name' })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  q?: string;
}
