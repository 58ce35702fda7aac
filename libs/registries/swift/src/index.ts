export * from './swift.module';
