export * from './alpine.module';
