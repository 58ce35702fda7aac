export * from './vagrant.module';
