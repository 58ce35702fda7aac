export * from './cran.module';
