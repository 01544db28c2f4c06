// What other features use of this one (docs/ARCHITECTURE.md: a feature is used only through its index.ts).
export { applyFieldValues, createField, listFields, valuesOf } from './fields.service.js';
export { workflowFor } from './workflows.service.js';
