// What other features use of this one (docs/ARCHITECTURE.md: a feature is used only through its index.ts).
export { createRecord, createRecordIn, getRecord, getRecordByRef, listRecords, noteOnRecord, type PublicRecord, toPublicRecords, updateRecord, updateRecordIn } from './records.service.js';

// What other features use of this one (docs/ARCHITECTURE.md: a feature is used only through its index.ts).
export { recordOfType } from './recordOfType.js';
export { type FieldChange } from './records.service.js';
