export * from './pypi.module';
