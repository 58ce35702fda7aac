export * from './access-model';
export { describeFormatKit, KIT_SIZE_LIMIT } from './describe-format-kit';
export { coreChecksums, coreEtag } from './download-checks';
export * from './format-profile';
export { basicAuth, multipart, send } from './http';
export type { KitRequest, KitResponse } from './http';
export { storedState } from './stored-state';
