export * from './composer.module';
