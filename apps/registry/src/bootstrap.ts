import { INestApplication, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { setupOpenApi } from '@wharf/api';
import {
  AppConfig,
  installRequestBodyPolicy,
  JsonLogger,
  PlainTextErrorFilter,
} from '@wharf/packages-core';
import { AppModule } from './app.module';

/**
 * Builds the application (the server and the tests use the same function). Body parsing
 * is off: uploads are streams, and JSON routes parse with an explicit limit.
 * `extraModules` mounts more modules (tests use it for probe routes).
 */
export async function createApp(
  config: AppConfig,
  extraModules: Type[] = [],
): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(
    AppModule.forRoot(config, extraModules),
    {
      bodyParser: false,
      logger: new JsonLogger(config.logLevel),
    },
  );
  app.disable('x-powered-by');
  // Only proxies inside the network may name the client (rate limits key on its address).
  app.set('trust proxy', config.trustProxy);
  app.set('etag', false);
  app.useGlobalFilters(new PlainTextErrorFilter());
  // Before init: the document is built from the controllers, its routes come before the API's catch-all.
  setupOpenApi(app);
  // Expect: 100-continue only once a handler reads the body; unread bodies close the connection.
  installRequestBodyPolicy(app.getHttpServer());
  // Idle keep-alive connections stay 65 s, past the 60 s idle timeout of common load
  // balancers and ingress proxies: with Node's 5 s, a proxy or client reusing a
  // connection just as Node closes it gets a reset (a 502, "socket hang up").
  const server = app.getHttpServer();
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  return app;
}
