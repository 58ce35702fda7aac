export * from './conan.module';
