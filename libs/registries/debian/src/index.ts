export * from './debian.module';
