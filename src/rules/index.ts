import type { FastifyInstance } from 'fastify';
import { rulesRoutes } from './rules.routes.js';
import type { Module } from '../core/module.js';
import { rulesHandler, rulesMailHandler, rulesNoteHandler } from './engine.js';

export { rulesHandler } from './engine.js';
export { RULE_EVENTS, eventsOf, ruleMatches, type Rule } from './rule.js';
export { checkCondition, conditionHolds, type Condition, type Facts } from './conditions.js';

/** Notification rules: their routes, and their handler on every record change. */
export const rulesModule: Module = {
  name: 'rules',
  routes: async (app: FastifyInstance) => {
    await app.register(rulesRoutes);
  },
  recordEventHandlers: (ctx) => [rulesHandler(ctx)],
  recordNoteHandlers: (ctx) => [rulesNoteHandler(ctx)],
  recordMailHandlers: (ctx) => [rulesMailHandler(ctx)],
};

// What other features use of this one (docs/ARCHITECTURE.md: a feature is used only through its index.ts).
export { createRule } from './rules.service.js';
