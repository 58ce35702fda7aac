export * from './pub.module';
