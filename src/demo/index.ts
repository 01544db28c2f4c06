import type { Config } from '../config.js';
import type { Module } from '../core/module.js';
import { followSandboxPorts, seedDemo } from './seed.js';

export { demoBanner } from './banner.js';
export { seedDemo, followSandboxPorts, type SeedResult } from './seed.js';
export * from './demoData.js';

/**
 * Demo mode (MAILTRAIL_DEMO=1, the default of `npm start`): on an empty database, the demo
 * project, users and records, with email pointed at the mail sandbox (src/sandbox/module.ts
 * runs the sandbox itself). Does nothing when demo mode is off.
 */
export function demoModule(config: Pick<Config, 'demo'>): Module {
  return {
    name: 'demo',
    prepare: async (ctx) => {
      if (!config.demo) return;
      if ((await seedDemo(ctx)) === 'not_empty') await followSandboxPorts(ctx);
    },
  };
}

// What other features use of this one (docs/ARCHITECTURE.md: a feature is used only through its index.ts).
export { DEMO_SANDBOX_CUSTOMERS, reaches, type SandboxCustomers, sandboxReach } from './sandboxAccess.js';
export { composeNew, DEFAULT_LIST_LIMIT, listMessages, type Party, readAttachment, readMessage, replyToMessage, sendThroughSandbox } from './mailClient.js';
