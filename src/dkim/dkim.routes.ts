import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { Body, errorResponses } from '../http/schemas.js';
import { generateDkimKey, publicDkim, saveDkim } from './dkim.settings.js';

const DkimOut = Type.Object(
  {
    enabled: Type.Boolean({ description: 'sign every outgoing message (tracked emails, forwards, notifications)' }),
    domain: Type.String({ description: 'the d= of the signature; DMARC aligns it with the From domain' }),
    selector: Type.String({ description: 'the s= of the signature' }),
    keySet: Type.Boolean(),
    keyBits: Type.Optional(Type.Integer()),
    keyCreatedAt: Type.Optional(Type.String()),
    dnsRecord: Type.Optional(
      Type.Object(
        { name: Type.String(), type: Type.Literal('TXT'), value: Type.String() },
        { description: 'publish this TXT record before turning signing on' },
      ),
    ),
  },
  { $id: 'DkimSettings' },
);
const Domain = Type.String({ maxLength: 253 });
const Selector = Type.String({ minLength: 1, maxLength: 63 });

export const dkimRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const db = () => app.ctx.store.db;
  const secret = () => app.ctx.config.secret;

  app.get(
    '/admin/email/dkim',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['admin'],
        summary: 'DKIM signing: domain, selector, whether a key is set, the DNS record (never the private key)',
        response: { 200: DkimOut, ...errorResponses },
      },
    },
    async () => publicDkim(db()),
  );

  app.put(
    '/admin/email/dkim',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['admin'],
        summary: 'Set the DKIM domain and selector, upload a private key (PEM, RSA ≥ 1024 bits; stored sealed with MAILTRAIL_SECRET), turn signing on or off',
        body: Body({
          enabled: Type.Optional(Type.Boolean()),
          domain: Type.Optional(Domain),
          selector: Type.Optional(Selector),
          privateKey: Type.Optional(Type.String({ minLength: 1, maxLength: 20_000 })),
        }),
        response: { 200: DkimOut, ...errorResponses },
      },
    },
    async (request) => saveDkim(db(), secret(), request.body),
  );

  app.post(
    '/admin/email/dkim/generate',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['admin'],
        summary: 'Generate a new RSA 2048 key (replaces the old one; on or off stays as it was); the answer carries the DNS record to publish',
        body: Type.Optional(Body({ domain: Type.Optional(Domain), selector: Type.Optional(Selector) })),
        response: { 200: DkimOut, ...errorResponses },
      },
    },
    async (request) => generateDkimKey(db(), secret(), request.body ?? {}),
  );
};
