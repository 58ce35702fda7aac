export * from './rpm.module';
