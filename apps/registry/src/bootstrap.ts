import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppConfig, JsonLogger, PlainTextErrorFilter } from '@wharf/packages-core';
import { AppModule } from './app.module';

/**
 * Builds the application (the server and the tests use the same function). Body parsing
 * is off: uploads are streams, and JSON routes parse with an explicit limit.
 */
export async function createApp(config: AppConfig): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), {
    bodyParser: false,
    logger: new JsonLogger(config.logLevel),
  });
  app.disable('x-powered-by');
  app.set('trust proxy', true);
  app.set('etag', false);
  app.useGlobalFilters(new PlainTextErrorFilter());
  app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
  return app;
}
