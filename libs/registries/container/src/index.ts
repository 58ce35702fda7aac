export * from './container.module';
