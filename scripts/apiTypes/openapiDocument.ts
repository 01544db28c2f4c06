import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../../src/config.js';
import { silentLogger } from '../../src/log.js';
import { allModules } from '../../src/modules.js';
import { startServer } from '../../src/server.js';
import type { OpenapiDocument } from './openapiToTypeScript.js';

/**
 * The document GET /api/openapi.json serves, from a server with every module that is built but
 * never listens: an in-memory database and a scratch data folder, both gone afterwards.
 */
export async function openapiDocument(): Promise<OpenapiDocument> {
  const dataDir = mkdtempSync(join(tmpdir(), 'mailtrail-openapi-'));
  const config: Config = {
    port: 0,
    host: '127.0.0.1',
    dataDir,
    database: { kind: 'sqlite', path: ':memory:' },
    secret: 'openapi-document-only-0123456789',
    adminPassword: 'openapi-document-only',
    demo: false,
    sandboxSmtpPort: 0,
    sandboxPop3Port: 0,
    logLevel: 'silent',
    workers: false,
  };
  try {
    const running = await startServer(config, allModules(config), { log: silentLogger, listen: false });
    try {
      return running.app.swagger() as OpenapiDocument;
    } finally {
      await running.close();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
