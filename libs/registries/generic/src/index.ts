export * from './generic.module';
