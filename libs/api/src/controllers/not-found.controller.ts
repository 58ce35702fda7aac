import { All, HttpCode } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { ApiController } from '../http/api-controller.decorator';
import { ApiErrorBody } from '../shapes/api-shapes';

/** Unknown `/api/v1` paths answer in the API's JSON, not the registry's plain text. Registered last. */
@ApiExcludeController()
@ApiController('', 'none')
export class ApiNotFoundController {
  @All('*')
  @HttpCode(404)
  notFound(): ApiErrorBody {
    return { message: 'no such API route' };
  }
}
