export * from './chef.module';
