export * from './alt.module';
