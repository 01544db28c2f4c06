import type { FastifyPluginAsyncTypebox, TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { callerOf } from '../http/auth.js';
import { Id, ProjectKey, errorResponses } from '../http/schemas.js';
import { openProject } from '../projects/index.js';
import * as svc from './files.service.js';

const FileSchema = Type.Object({
  id: Type.String(),
  filename: Type.String(),
  contentType: Type.String(),
  size: Type.Integer(),
  uploadedBy: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
  previewable: Type.Boolean({ description: 'an image or PDF: GET …?inline=1 shows it in the browser' }),
}, { $id: 'RecordFile' });
const RecordParams = Type.Object({ key: ProjectKey, id: Id });
const FileParams = Type.Object({ key: ProjectKey, fileId: Id });

/** How a name travels in Content-Disposition (RFC 6266 / 5987), for any characters. */
const disposition = (kind: 'inline' | 'attachment', name: string) => `${kind}; filename="${name.replace(/[^\x20-\x7e]|["\\]/g, '_')}"; filename*=UTF-8''${encodeURIComponent(name)}`;

export const fileRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const db = () => app.ctx.store.db;
  const open = (request: Parameters<typeof callerOf>[0], key: string) => openProject(db(), callerOf(request), key);

  // The upload takes the file itself as the body (curl --data-binary @shot.png), in a scope of
  // its own whose only body parser hands over the bytes, whatever their type.
  await app.register(async (scope) => {
    const upload = scope.withTypeProvider<TypeBoxTypeProvider>();
    upload.removeAllContentTypeParsers();
    upload.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: svc.MAX_FILE_BYTES }, (_request, body, done) => done(null, body));
    upload.post(
      '/projects/:key/records/:id/files',
      {
        bodyLimit: svc.MAX_FILE_BYTES,
        config: { access: 'project' },
        schema: {
          tags: ['files'],
          summary: 'Attach a file to a record (needs <category>.edit)',
          description: `The body is the file's bytes (at most ${svc.MAX_FILE_BYTES / 1024 / 1024} MB), its Content-Type the file's type; \`filename\` names it. The record history notes it; search finds its name.`,
          params: RecordParams,
          querystring: Type.Object({ filename: Type.String({ minLength: 1, maxLength: 255 }) }),
          response: { 201: FileSchema, ...errorResponses },
        },
      },
      async (request, reply) => {
        const ctx = await open(request, request.params.key);
        const bytes = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        return reply.status(201).send(await svc.addFile(db(), app.ctx.blobs, ctx, request.params.id, { filename: request.query.filename, contentType: request.headers['content-type'], bytes }));
      },
    );
  });

  app.get(
    '/projects/:key/records/:id/files',
    { config: { access: 'project' }, schema: { tags: ['files'], summary: "A record's files (needs <category>.view)", params: RecordParams, response: { 200: Type.Object({ files: Type.Array(FileSchema) }), ...errorResponses } } },
    async (request) => ({ files: await svc.listFiles(db(), await open(request, request.params.key), request.params.id) }),
  );

  app.get(
    '/projects/:key/files/:fileId',
    {
      config: { access: 'project' },
      schema: {
        tags: ['files'],
        summary: 'The file (a download; with inline=1 an image or PDF is shown by the browser)',
        params: FileParams,
        querystring: Type.Object({ inline: Type.Optional(Type.Union([Type.Literal('1'), Type.Literal('0')])) }),
      },
    },
    async (request, reply) => {
      const f = await svc.openFile(db(), await open(request, request.params.key), request.params.fileId);
      // Only images and PDF are ever shown inline, and images in a sandbox: nothing uploaded runs as our page.
      const inline = request.query.inline === '1' && svc.PREVIEWABLE.has(f.content_type);
      void reply
        .header('content-type', inline ? f.content_type : f.content_type.includes('html') || f.content_type.includes('svg') ? 'application/octet-stream' : f.content_type)
        .header('content-disposition', disposition(inline ? 'inline' : 'attachment', f.filename))
        .header('content-length', String(f.size))
        .header('cache-control', 'private, max-age=300');
      if (inline && f.content_type.startsWith('image/')) void reply.header('content-security-policy', "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox; frame-ancestors 'none'");
      return reply.send(app.ctx.blobs.stream(f.blob));
    },
  );

  app.delete(
    '/projects/:key/files/:fileId',
    { config: { access: 'project' }, schema: { tags: ['files'], summary: 'Remove a file from its record (needs <category>.edit)', params: FileParams, response: { 204: Type.Null(), ...errorResponses } } },
    async (request, reply) => {
      await svc.removeFile(db(), await open(request, request.params.key), request.params.fileId);
      return reply.status(204).send(null);
    },
  );
};
