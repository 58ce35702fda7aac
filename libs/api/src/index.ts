export * from './api.module';
export * from './openapi';
export * from './shapes/api-shapes';
