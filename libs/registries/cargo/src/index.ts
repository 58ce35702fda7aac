export * from './cargo.module';
