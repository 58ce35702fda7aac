import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { ApiModule } from './api.module';

export const OPENAPI_JSON_PATH = 'api/v1/openapi.json';
export const OPENAPI_UI_PATH = 'api/v1/docs';

/**
 * Serves the management API's OpenAPI document and a browsable UI. Built from the
 * controllers' decorators, so it lists exactly the routes ApiModule serves. Call before
 * `app.init()`/`listen()`.
 */
export function setupOpenApi(app: INestApplication): void {
  const config = new DocumentBuilder()
    .setTitle('Wharf management API')
    .setDescription(
      'Users, organizations, access tokens and packages. Forgejo-compatible where Forgejo has the same call.',
    )
    .setVersion('1')
    .addBasicAuth({ type: 'http', scheme: 'basic' }, 'basic')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'an access token' }, 'bearer')
    .addApiKey(
      {
        type: 'apiKey',
        in: 'header',
        name: 'Authorization',
        description: '`token <access token>`',
      },
      'token',
    )
    .build();
  const document = SwaggerModule.createDocument(app, config, { include: [ApiModule] });
  SwaggerModule.setup(OPENAPI_UI_PATH, app, document, {
    jsonDocumentUrl: OPENAPI_JSON_PATH,
    yamlDocumentUrl: 'api/v1/openapi.yaml',
  });
}
