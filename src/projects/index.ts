// What other features use of this one (docs/ARCHITECTURE.md: a feature is used only through its index.ts).
export { createGroup, createProject, openProject, type ProjectContext, setMember, updateEmailOptions } from './projects.service.js';
