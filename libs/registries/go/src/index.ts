export * from './go.module';
