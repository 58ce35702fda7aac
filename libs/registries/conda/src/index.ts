export * from './conda.module';
