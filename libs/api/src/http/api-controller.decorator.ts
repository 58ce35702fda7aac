import { applyDecorators, Controller, UseFilters, UsePipes } from '@nestjs/common';
import { ApiBasicAuth, ApiBearerAuth, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { ApiErrorFilter } from './api-error.filter';
import { apiValidationPipe } from './api-validation.pipe';

/** A management API controller under `/api/v1`: JSON errors, validated DTOs, documented auth. */
export function ApiController(path: string, tag: string) {
  return applyDecorators(
    Controller(`api/v1/${path}`.replace(/\/$/, '')),
    UseFilters(ApiErrorFilter),
    UsePipes(apiValidationPipe),
    ApiTags(tag),
    ApiBasicAuth('basic'),
    ApiBearerAuth('bearer'),
    ApiSecurity('token'),
  );
}
