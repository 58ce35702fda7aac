export * from './helm.module';
