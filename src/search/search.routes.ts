import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { callerOf } from '../http/auth.js';
import { ProjectParams, RecordSchema, RecordTypeSchema, errorResponses } from '../http/schemas.js';
import { openProject } from '../projects/index.js';
import { search } from './search.service.js';

const HitKind = Type.Union(['record', 'email', 'comment', 'file', 'step'].map((k) => Type.Literal(k)));
const SnippetSchema = Type.Array(Type.Object({ text: Type.String(), hit: Type.Boolean({ description: 'true for the words that matched' }) }), {
  description: 'the passage that matched, as text parts; show the parts with hit=true highlighted',
});
const SearchResultSchema = Type.Object({
  record: RecordSchema,
  matchedBy: Type.Union([Type.Literal('id'), Type.Literal('text')]),
  score: Type.Number({ description: 'rank of the best text match (higher is better); 0 for an id match alone' }),
  hit: Type.Union([
    Type.Object({
      kind: HitKind,
      id: Type.String({ description: 'the email, comment or file that matched (the record id for kind record)' }),
      title: Type.String({ description: 'the email subject, the file name, or the record title' }),
      snippet: SnippetSchema,
      from: Type.Optional(Type.String()),
      direction: Type.Optional(Type.Union([Type.Literal('outbound'), Type.Literal('inbound')])),
      date: Type.Optional(Type.String()),
    }),
    Type.Null(),
  ]),
  matches: Type.Partial(Type.Object({ record: Type.Integer(), email: Type.Integer(), comment: Type.Integer(), file: Type.Integer(), step: Type.Integer() }), { description: 'how many texts of the record matched, by kind' }),
}, { $id: 'SearchResult' });

export const searchRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/projects/:key/search',
    {
      config: { access: 'project' },
      schema: {
        tags: ['records'],
        summary: 'Find records by id and by full text',
        description:
          'Finds records by id (DEMO-D4, D4, #4) and by every word of `q` (English stemming; the last word also as a prefix) in titles, descriptions, comments and tracked email (subjects and the new part of each reply), across the record types the caller may view. Email matches only where the caller holds viewTrackedEmail. Id matches first, then by rank, one result per record with its best passage highlighted.',
        params: ProjectParams,
        querystring: Type.Object({
          q: Type.String({ minLength: 1, maxLength: 500 }),
          type: Type.Optional(RecordTypeSchema),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, description: 'results per page, 20 unless given' })),
          offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000 })),
        }),
        response: {
          200: Type.Object({
            query: Type.String(),
            total: Type.Integer({ description: 'records found' }),
            capped: Type.Boolean({ description: 'so many texts matched that only the best 1000 were ranked' }),
            results: Type.Array(SearchResultSchema),
          }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const ctx = await openProject(app.ctx.store.db, callerOf(request), request.params.key);
      return search(app.ctx.store.db, ctx, request.query);
    },
  );
};
