export * from './npm.module';
