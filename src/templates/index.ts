import { templateRoutes } from './templates.routes.js';
import type { Module } from '../core/module.js';
import { seedAllProjects } from './seed.js';

/** Email templates: Liquid templates per project, the standard set, rendering for records. */
export const templatesModule: Module = {
  name: 'templates',
  routes: async (app) => {
    await app.register(templateRoutes);
  },
  prepare: async (ctx) => {
    const seeded = await seedAllProjects(ctx.store.db);
    if (seeded > 0) ctx.log.info({ projects: seeded }, 'standard email templates added');
  },
};

export {
  TEMPLATE_LIMITS,
  TemplateError,
  checkTemplate,
  cleanSubject,
  parseTemplate,
  renderTemplate,
  type ChangeVars,
  type ParsedTemplate,
  type PersonVars,
  type RenderedEmail,
  type TemplatePart,
  type TemplateProblem,
  type TemplateSource,
  type TemplateVars,
} from './render.js';
export { STANDARD_TEMPLATES, standardTemplate, type StandardTemplate } from './standard.js';
export { ensureStandardTemplates, seedAllProjects, seedStandardTemplates } from './seed.js';
export {
  canReadTemplates,
  createTemplate,
  deleteTemplate,
  fitsRecordType,
  getTemplate,
  listTemplates,
  renderForRecord,
  requireTemplateReader,
  resetTemplate,
  templateInvalid,
  templateVarsForRecord,
  updateTemplate,
  validateTemplate,
  type PublicTemplate,
  type RenderForRecordInput,
  type RenderedForRecord,
  type TemplateChoice,
  type TemplateInput,
  type TemplateUpdate,
} from './templates.service.js';
export { RECORD_TYPE_LABEL, changeVars, recordUrl, sampleVars } from './vars.js';
