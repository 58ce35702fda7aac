export * from './maven.module';
