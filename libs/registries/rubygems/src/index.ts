export * from './rubygems.module';
