export * from './nuget.module';
