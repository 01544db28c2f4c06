import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { callerOf } from '../http/auth.js';
import { Body, Id, ProjectKey, RecordSchema, Username, errorResponses } from '../http/schemas.js';
import { openProject } from '../projects/index.js';
import { OVERALL_RESULTS, STEP_RESULTS } from './results.js';
import * as runs from './runs.service.js';
import * as steps from './steps.service.js';

const StepText = Type.String({ maxLength: 10_000 });
const StepSchema = Type.Object(
  { id: Type.String(), number: Type.Integer({ description: '1 for the first step' }), action: Type.String(), expected: Type.String({ description: 'the expected result' }), updatedAt: Type.String() },
  { $id: 'TestStep' },
);
const StepList = Type.Object({ steps: Type.Array(StepSchema) });
const StepResultSchema = Type.Union(STEP_RESULTS.map((r) => Type.Literal(r)));
const OverallResultSchema = Type.Union(OVERALL_RESULTS.map((r) => Type.Literal(r)));
const Counts = Type.Object({ notRun: Type.Integer(), passed: Type.Integer(), failed: Type.Integer(), blocked: Type.Integer(), total: Type.Integer() });
const TestRunSchema = Type.Object(
  {
    id: Type.String({ description: 'the test run record' }),
    tag: Type.String(),
    testCase: Type.Union([Type.Object({ id: Type.String(), tag: Type.String(), title: Type.String(), status: Type.String() }), Type.Null()], { description: 'the test case it ran (null once gone or hidden)' }),
    steps: Type.Array(
      Type.Object({
        id: Type.String(),
        number: Type.Integer(),
        action: Type.String(),
        expected: Type.String(),
        result: StepResultSchema,
        actual: Type.String({ description: 'what actually happened, in the tester\'s words' }),
        updatedBy: Type.Union([Type.String(), Type.Null()]),
        updatedAt: Type.Union([Type.String(), Type.Null()]),
      }),
    ),
    result: Type.Object({
      value: OverallResultSchema,
      computed: OverallResultSchema,
      override: Type.Union([Type.Object({ result: OverallResultSchema, reason: Type.String(), by: Type.Union([Type.String(), Type.Null()]), at: Type.String() }), Type.Null()]),
      counts: Counts,
    }),
    createdAt: Type.String(),
  },
  { $id: 'TestRun' },
);
const RunSummarySchema = Type.Object(
  {
    id: Type.String(),
    tag: Type.String(),
    title: Type.String(),
    status: Type.String(),
    assignee: Type.Union([Type.String(), Type.Null()]),
    creator: Type.String(),
    createdAt: Type.String(),
    result: OverallResultSchema,
    counts: Counts,
  },
  { $id: 'TestRunSummary' },
);
const Params = Type.Object({ key: ProjectKey, id: Id });
const StepParams = Type.Object({ key: ProjectKey, id: Id, stepId: Id });

export const testingRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const db = () => app.ctx.store.db;
  const open = (request: FastifyRequest, key: string) => openProject(db(), callerOf(request), key);

  app.get(
    '/projects/:key/records/:id/steps',
    {
      config: { access: 'project' },
      schema: { tags: ['testing'], summary: "A test case's steps, in order (needs testCases.view)", description: '`id` is the test case\'s id or tag (DEMO-TC1). 400 not_a_test_case for a record of another type.', params: Params, response: { 200: StepList, ...errorResponses } },
    },
    async (request) => ({ steps: await steps.listSteps(db(), await open(request, request.params.key), request.params.id) }),
  );
  app.post(
    '/projects/:key/records/:id/steps',
    {
      config: { access: 'project' },
      schema: {
        tags: ['testing'],
        summary: 'Add a step to a test case (needs testCases.edit)',
        description: '`number` puts it at that place (1 = first); without it the step goes last. The answer is the new step (`number` says where it landed).',
        params: Params,
        body: Body({ action: Type.String({ minLength: 1, maxLength: 10_000 }), expected: Type.Optional(StepText), number: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })) }),
        response: { 201: StepSchema, ...errorResponses },
      },
    },
    async (request, reply) => reply.status(201).send(await steps.addStep(db(), await open(request, request.params.key), request.params.id, request.body)),
  );
  app.patch(
    '/projects/:key/records/:id/steps/:stepId',
    {
      config: { access: 'project' },
      schema: { tags: ['testing'], summary: "Change a step's action or expected result (needs testCases.edit)", params: StepParams, body: Body({ action: Type.Optional(Type.String({ minLength: 1, maxLength: 10_000 })), expected: Type.Optional(StepText) }), response: { 200: StepSchema, ...errorResponses } },
    },
    async (request) => steps.editStep(db(), await open(request, request.params.key), request.params.id, request.params.stepId, request.body),
  );
  app.delete(
    '/projects/:key/records/:id/steps/:stepId',
    {
      config: { access: 'project' },
      schema: { tags: ['testing'], summary: 'Remove a step (needs testCases.edit); runs made before keep their copy', params: StepParams, response: { 204: Type.Null(), ...errorResponses } },
    },
    async (request, reply) => {
      await steps.removeStep(db(), await open(request, request.params.key), request.params.id, request.params.stepId);
      return reply.status(204).send(null);
    },
  );
  app.put(
    '/projects/:key/records/:id/steps/order',
    {
      config: { access: 'project' },
      schema: {
        tags: ['testing'],
        summary: 'Reorder the steps (needs testCases.edit)',
        description: '`order` lists every step id of the test case once, first step first; 409 order_mismatch when the steps changed meanwhile.',
        params: Params,
        body: Body({ order: Type.Array(Id, { maxItems: steps.MAX_STEPS }) }),
        response: { 200: StepList, ...errorResponses },
      },
    },
    async (request) => ({ steps: await steps.reorderSteps(db(), await open(request, request.params.key), request.params.id, request.body.order) }),
  );

  app.post(
    '/projects/:key/records/:id/test-runs',
    {
      config: { access: 'project' },
      schema: {
        tags: ['testing'],
        summary: 'Run a test case: a new test run with its steps, linked back (needs testRuns.add and testCases.view)',
        description: 'The run is titled like the test case unless `title` says otherwise, and assigned to the caller unless `assignee` names someone (null: nobody). 400 no_steps for a test case without steps.',
        params: Params,
        body: Body({ title: Type.Optional(Type.String({ maxLength: 500 })), assignee: Type.Optional(Type.Union([Username, Type.Null()])) }),
        response: { 201: Type.Object({ record: RecordSchema, run: TestRunSchema }), ...errorResponses },
      },
    },
    async (request, reply) => reply.status(201).send(await runs.createRun(db(), await open(request, request.params.key), request.params.id, request.body, app.recordEventHandlers)),
  );
  app.get(
    '/projects/:key/records/:id/test-runs',
    {
      config: { access: 'project' },
      schema: { tags: ['testing'], summary: 'The runs made from a test case, newest first (needs testCases.view and testRuns.view)', params: Params, response: { 200: Type.Object({ runs: Type.Array(RunSummarySchema) }), ...errorResponses } },
    },
    async (request) => ({ runs: await runs.listRunsOfCase(db(), await open(request, request.params.key), request.params.id) }),
  );
  app.get(
    '/projects/:key/records/:id/test-run',
    {
      config: { access: 'project' },
      schema: { tags: ['testing'], summary: "A test run's steps with their results, its overall result and its test case (needs testRuns.view)", params: Params, response: { 200: TestRunSchema, ...errorResponses } },
    },
    async (request) => runs.getRun(db(), await open(request, request.params.key), request.params.id),
  );
  app.patch(
    '/projects/:key/records/:id/test-run/steps/:stepId',
    {
      config: { access: 'project' },
      schema: {
        tags: ['testing'],
        summary: "Record a step's result and what actually happened (needs testRuns.edit)",
        description: 'The overall result follows (one failed step fails the run, a blocked one blocks it, all passed passes it), and the run\'s status moves to the status of that name where its workflow allows.',
        params: StepParams,
        body: Body({ result: Type.Optional(StepResultSchema), actual: Type.Optional(StepText) }),
        response: { 200: TestRunSchema, ...errorResponses },
      },
    },
    async (request) => runs.recordStep(db(), await open(request, request.params.key), request.params.id, request.params.stepId, request.body, app.recordEventHandlers),
  );
  app.put(
    '/projects/:key/records/:id/test-run/result',
    {
      config: { access: 'project' },
      schema: {
        tags: ['testing'],
        summary: 'Set the overall result by hand, with a reason, or give it back to the steps with null (needs testRuns.edit)',
        params: Params,
        body: Body({ result: Type.Union([OverallResultSchema, Type.Null()]), reason: Type.Optional(Type.String({ maxLength: 2_000 })) }),
        response: { 200: TestRunSchema, ...errorResponses },
      },
    },
    async (request) => runs.setRunResult(db(), await open(request, request.params.key), request.params.id, request.body, app.recordEventHandlers),
  );
};
