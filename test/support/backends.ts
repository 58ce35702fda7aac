export * from '@wharf/packages-core/testing/backends';
