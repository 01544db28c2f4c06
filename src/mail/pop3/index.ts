export { Pop3Client, Pop3State, type Pop3ClientOptions, type Pop3Security, type Pop3Stat, type Pop3ListEntry, type Pop3UidlEntry } from './pop3Client.js';
export { Pop3Error, pop3ErrorCodes, type Pop3ErrorCode, type Pop3ErrorInfo } from './errors.js';
export { defaultPop3Limits, type Pop3Limits } from './limits.js';
