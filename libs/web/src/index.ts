export * from './web.module';
export * from './session/web-session.service';
