export * from './arch.module';
