import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { overallOf, statusPathFor } from '../../src/testing/results.js';
import { DEFAULT_WORKFLOWS } from '../../src/domain/workflow.js';
import { startTestApp, type ApiClient } from '../support/app.js';
import { STORE_KINDS } from '../support/stores.js';

type Step = { id: string; number: number; action: string; expected: string };
type Event = { kind: string; actor: string | null; changes: { field: string; old: string | null; new: string | null }[] };

const history = async (c: ApiClient, id: string) => (await c.get(`/api/v1/projects/QA/records/${id}/history`)).body.events as Event[];

describe('test run results', () => {
  test('a failed step fails the run, else a blocked one blocks it; all passed passes; some passed is in progress', () => {
    assert.equal(overallOf([]), 'notRun');
    assert.equal(overallOf(['notRun', 'notRun']), 'notRun');
    assert.equal(overallOf(['passed', 'notRun']), 'inProgress');
    assert.equal(overallOf(['passed', 'passed']), 'passed');
    assert.equal(overallOf(['passed', 'blocked', 'notRun']), 'blocked');
    assert.equal(overallOf(['blocked', 'failed', 'passed']), 'failed');
  });
  test('the status follows the result by the shortest allowed way, or not at all', () => {
    const wf = DEFAULT_WORKFLOWS.testRun;
    assert.deepEqual(statusPathFor(wf, 'Not run', 'failed'), ['Failed']);
    assert.deepEqual(statusPathFor(wf, 'Passed', 'failed'), ['In progress', 'Failed'], 'Passed → Failed is not a move of its own');
    assert.deepEqual(statusPathFor(wf, 'Failed', 'failed'), []);
    assert.deepEqual(
      statusPathFor({ ...wf, statuses: wf.statuses.filter((s) => s.name !== 'Blocked') }, 'Not run', 'blocked'),
      [],
      'a workflow without the status',
    );
  });
});

for (const kind of STORE_KINDS) {
  describe(`test case steps and test runs on ${kind}`, () => {
    test('steps: added in place, edited, reordered, removed; wrong type and bad input refused; history and search', { timeout: 90_000 }, async (t) => {
      const h = await startTestApp(t, kind);
      if (!h) return;
      await h.admin.post('/api/v1/projects', { key: 'QA', name: 'Quality' });
      await h.admin.post('/api/v1/projects', { key: 'OTH', name: 'Other' });
      const dev = await h.user('dev', { project: 'QA' });
      const outsider = await h.user('outsider', { project: 'OTH', group: 'Administrators' });
      const tc = (await dev.post('/api/v1/projects/QA/records', { type: 'testCase', title: 'Export 50 orders' })).body as { id: string; tag: string };
      const defect = (await dev.post('/api/v1/projects/QA/records', { type: 'defect', title: 'Export drops a row' })).body as { id: string; tag: string };
      const url = `/api/v1/projects/QA/records/${tc.id}/steps`;

      const first = await dev.post(url, { action: 'Open Orders', expected: 'The list shows 50 orders' });
      assert.equal(first.status, 201, JSON.stringify(first.body));
      await dev.post(url, { action: 'Export as CSV', expected: 'A file downloads' });
      // At place 2: between the two.
      const middle = await dev.post(`/api/v1/projects/QA/records/${tc.tag}/steps`, {
        action: '  Select all orders  ',
        expected: 'All 50 are ticked',
        number: 2,
      });
      assert.equal(middle.status, 201, 'the tag works as well as the id');
      assert.equal(middle.body.action, 'Select all orders', 'trimmed');
      assert.equal(middle.body.number, 2);
      let steps = (await dev.get(url)).body.steps as Step[];
      assert.deepEqual(
        steps.map((s) => `${s.number} ${s.action}`),
        ['1 Open Orders', '2 Select all orders', '3 Export as CSV'],
      );

      // Bad input loses nothing.
      assert.equal((await dev.post(url, { action: '   ' })).body.error.code, 'empty_action');
      assert.equal((await dev.post(url, { expected: 'no action' })).status, 400);
      const wrong = await dev.post(`/api/v1/projects/QA/records/${defect.id}/steps`, { action: 'x' });
      assert.equal(wrong.status, 400);
      assert.equal(wrong.body.error.code, 'not_a_test_case');
      assert.match(wrong.body.error.message, /QA-D1 is a defect; steps belong to test cases/);
      assert.equal((await dev.get(`/api/v1/projects/QA/records/${defect.id}/steps`)).body.error.code, 'not_a_test_case');
      // Non-members do not learn the project exists.
      assert.equal((await outsider.get(url)).status, 404);
      assert.equal((await outsider.post(url, { action: 'x' })).status, 404);
      assert.equal((await dev.get(url)).body.steps.length, 3);

      const edited = await dev.patch(`${url}/${steps[2]!.id}`, { expected: 'qa-orders.csv downloads' });
      assert.equal(edited.status, 200, JSON.stringify(edited.body));
      assert.equal(edited.body.expected, 'qa-orders.csv downloads');
      assert.equal(edited.body.action, 'Export as CSV', 'fields left out stay');

      const order = [steps[1]!.id, steps[0]!.id, steps[2]!.id];
      const reordered = await dev.put(`${url}/order`, { order });
      assert.equal(reordered.status, 200, JSON.stringify(reordered.body));
      assert.deepEqual(
        reordered.body.steps.map((s: Step) => s.action),
        ['Select all orders', 'Open Orders', 'Export as CSV'],
      );
      assert.deepEqual(
        (await dev.get(url)).body.steps.map((s: Step) => s.id),
        order,
        'the order is kept',
      );
      const stale = await dev.put(`${url}/order`, { order: order.slice(0, 2) });
      assert.equal(stale.status, 409, 'an order missing a step is refused, not half applied');
      assert.equal(stale.body.error.code, 'order_mismatch');
      assert.equal((await dev.put(`${url}/order`, { order: [order[0], order[0], order[1]] })).body.error.code, 'duplicate_in_order');
      assert.deepEqual(
        (await dev.get(url)).body.steps.map((s: Step) => s.id),
        order,
      );

      assert.equal((await dev.delete(`${url}/${order[0]}`)).status, 204);
      steps = (await dev.get(url)).body.steps as Step[];
      assert.deepEqual(
        steps.map((s) => `${s.number} ${s.action}`),
        ['1 Open Orders', '2 Export as CSV'],
        'the steps after it move up',
      );
      assert.equal((await dev.delete(`${url}/${order[0]}`)).body.error.code, 'step_not_found');

      // Viewers read steps but change nothing.
      const viewer = await h.user('viewer', { project: 'QA', group: 'Viewers' });
      assert.equal((await viewer.get(url)).body.steps.length, 2);
      const refused = await viewer.post(url, { action: 'sneak in' });
      assert.equal(refused.status, 403);
      assert.match(refused.body.error.message, /not allowed to change test cases/);

      const events = (await history(dev, tc.id)).filter((e) => e.kind !== 'created');
      assert.deepEqual(
        events.map((e) => e.kind),
        ['step.added', 'step.added', 'step.added', 'step.edited', 'steps.reordered', 'step.removed'],
      );
      assert.deepEqual(events[3]!.changes, [{ field: 'step 3 expected result', old: 'A file downloads', new: 'qa-orders.csv downloads' }]);
      assert.equal(events[4]!.changes[0]!.new, '1. Select all orders\n2. Open Orders\n3. Export as CSV');
      assert.equal(events[5]!.changes[0]!.old, 'Select all orders\nExpected: All 50 are ticked');
      assert.ok(events.every((e) => e.actor === 'dev'));
      assert.equal((await dev.get(`/api/v1/projects/QA/records/${tc.id}`)).body.version, 1, 'steps do not bump the version');

      const found = (await dev.get('/api/v1/projects/QA/search?q=downloads')).body.results;
      assert.equal(found.length, 1);
      assert.equal(found[0].record.tag, tc.tag);
      assert.equal(found[0].hit.kind, 'step');
      assert.equal((await dev.get('/api/v1/projects/QA/search?q=ticked')).body.results.length, 0, 'a removed step is not found');
    });

    test('a run copies the steps, links back, records results per step, computes and overrides the overall result', { timeout: 90_000 }, async (t) => {
      const h = await startTestApp(t, kind);
      if (!h) return;
      await h.admin.post('/api/v1/projects', { key: 'QA', name: 'Quality' });
      const dev = await h.user('dev', { project: 'QA' });
      const tc = (await dev.post('/api/v1/projects/QA/records', { type: 'testCase', title: 'Reset the password' })).body as { id: string; tag: string };
      const empty = (await dev.post('/api/v1/projects/QA/records', { type: 'testCase', title: 'Not written yet' })).body as { id: string };
      const req = (await dev.post('/api/v1/projects/QA/records', { type: 'requirement', title: 'Reset links last a day' })).body as { id: string };
      for (const [action, expected] of [
        ['Forgot password', 'An email arrives'],
        ['Open the link after 30 minutes', 'The form opens'],
        ['Set a new password', 'Signed in'],
      ]) {
        await dev.post(`/api/v1/projects/QA/records/${tc.id}/steps`, { action, expected });
      }
      assert.equal((await dev.post(`/api/v1/projects/QA/records/${empty.id}/test-runs`, {})).body.error.code, 'no_steps');
      assert.equal((await dev.post(`/api/v1/projects/QA/records/${req.id}/test-runs`, {})).body.error.code, 'not_a_test_case');

      const made = await dev.post(`/api/v1/projects/QA/records/${tc.tag}/test-runs`, {});
      assert.equal(made.status, 201, JSON.stringify(made.body));
      const run = made.body.record as { id: string; tag: string; type: string; title: string; assignee: string; status: string };
      assert.equal(run.type, 'testRun');
      assert.equal(run.tag, 'QA-TR1');
      assert.equal(run.title, 'Reset the password');
      assert.equal(run.assignee, 'dev', 'whoever runs it');
      assert.equal(run.status, 'Not run');
      assert.equal(made.body.run.testCase.tag, tc.tag);
      assert.deepEqual(
        made.body.run.steps.map((s: { action: string; result: string }) => `${s.action}:${s.result}`),
        ['Forgot password:notRun', 'Open the link after 30 minutes:notRun', 'Set a new password:notRun'],
      );
      assert.equal(made.body.run.result.value, 'notRun');

      // Linked back, on both ends.
      const tcLinks = (await dev.get(`/api/v1/projects/QA/records/${tc.id}/links`)).body.links as { label: string; record: { tag: string } }[];
      assert.deepEqual(
        tcLinks.map((l) => `${l.label} ${l.record.tag}`),
        ['is the origin of QA-TR1'],
      );
      const runLinks = (await dev.get(`/api/v1/projects/QA/records/${run.id}/links`)).body.links as { label: string; record: { tag: string } }[];
      assert.deepEqual(
        runLinks.map((l) => `${l.label} ${l.record.tag}`),
        [`was created from ${tc.tag}`],
      );
      const listed = (await dev.get(`/api/v1/projects/QA/records/${tc.id}/test-runs`)).body.runs;
      assert.deepEqual(
        listed.map((r: { tag: string; result: string }) => `${r.tag} ${r.result}`),
        ['QA-TR1 notRun'],
      );

      // A later edit of the test case does not rewrite what the run tests.
      const tcSteps = (await dev.get(`/api/v1/projects/QA/records/${tc.id}/steps`)).body.steps as Step[];
      await dev.patch(`/api/v1/projects/QA/records/${tc.id}/steps/${tcSteps[0]!.id}`, { action: 'Sign-in → Forgot password' });

      const stepUrl = (id: string) => `/api/v1/projects/QA/records/${run.id}/test-run/steps/${id}`;
      const runSteps = made.body.run.steps as { id: string }[];
      let r = await dev.patch(stepUrl(runSteps[0]!.id), { result: 'passed' });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.result.value, 'inProgress');
      assert.equal(r.body.steps[0].updatedBy, 'dev');
      assert.equal(r.body.steps[0].action, 'Forgot password');
      assert.equal((await dev.get(`/api/v1/projects/QA/records/${run.id}`)).body.status, 'In progress', 'the status follows the result');
      r = await dev.patch(stepUrl(runSteps[1]!.id), { result: 'failed', actual: '  "This link has expired" after 10 minutes  ' });
      assert.equal(r.body.steps[1].actual, '"This link has expired" after 10 minutes');
      assert.equal(r.body.result.value, 'failed');
      r = await dev.patch(stepUrl(runSteps[2]!.id), { result: 'passed' });
      assert.equal(r.body.result.value, 'failed', 'one failed step fails the run');
      assert.deepEqual(r.body.result.counts, { notRun: 0, passed: 2, failed: 1, blocked: 0, total: 3 });
      assert.equal((await dev.get(`/api/v1/projects/QA/records/${run.id}`)).body.status, 'Failed');
      assert.equal((await dev.patch(stepUrl(runSteps[2]!.id), { result: 'skipped' })).status, 400);
      assert.equal((await dev.patch(stepUrl('01kj0000000000000000000000'), { result: 'passed' })).body.error.code, 'step_not_found');
      const onCase = await dev.patch(`/api/v1/projects/QA/records/${tc.id}/test-run/steps/${runSteps[0]!.id}`, { result: 'passed' });
      assert.equal(onCase.body.error.code, 'not_a_test_run');

      // Overridden with a reason, then given back to the steps.
      assert.equal((await dev.put(`/api/v1/projects/QA/records/${run.id}/test-run/result`, { result: 'passed' })).body.error.code, 'reason_required');
      r = await dev.put(`/api/v1/projects/QA/records/${run.id}/test-run/result`, { result: 'passed', reason: 'Known mail filter delay at the test site' });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.result.value, 'passed');
      assert.equal(r.body.result.computed, 'failed');
      assert.equal(r.body.result.override.by, 'dev');
      assert.equal((await dev.get(`/api/v1/projects/QA/records/${run.id}`)).body.status, 'Passed');
      r = await dev.put(`/api/v1/projects/QA/records/${run.id}/test-run/result`, { result: null });
      assert.equal(r.body.result.value, 'failed');
      assert.equal(r.body.result.override, null);
      // Passed → Failed is not one move of the default workflow: by way of In progress.
      assert.equal((await dev.get(`/api/v1/projects/QA/records/${run.id}`)).body.status, 'Failed');

      const events = (await history(dev, run.id)).filter((e) => e.kind.startsWith('testRun.'));
      assert.deepEqual(
        events.map((e) => e.kind),
        ['testRun.step', 'testRun.step', 'testRun.step', 'testRun.result', 'testRun.result'],
      );
      assert.deepEqual(events[1]!.changes, [
        { field: 'step 2', old: 'Not run', new: 'Failed' },
        { field: 'step 2 actual result', old: '', new: '"This link has expired" after 10 minutes' },
        { field: 'result', old: 'In progress', new: 'Failed' },
      ]);
      assert.equal(events[2]!.changes.length, 1, 'the result did not move');
      assert.equal(events[3]!.changes[0]!.new, 'Passed (set by hand: Known mail filter delay at the test site)');
      const statuses = (await history(dev, run.id)).flatMap((e) => e.changes.filter((c) => c.field === 'status' && e.kind === 'updated').map((c) => c.new));
      assert.deepEqual(statuses, ['In progress', 'Failed', 'In progress', 'Passed', 'In progress', 'Failed'], 'each move one the workflow allows');

      // The actual result is searchable.
      const found = (await dev.get('/api/v1/projects/QA/search?q=expired')).body.results;
      assert.deepEqual(
        found.map((f: { record: { tag: string }; hit: { kind: string } }) => `${f.record.tag} ${f.hit.kind}`),
        ['QA-TR1 step'],
      );

      // Who may do what.
      const viewer = await h.user('viewer', { project: 'QA', group: 'Viewers' });
      assert.equal((await viewer.get(`/api/v1/projects/QA/records/${run.id}/test-run`)).body.result.value, 'failed');
      const noRun = await viewer.post(`/api/v1/projects/QA/records/${tc.id}/test-runs`, {});
      assert.equal(noRun.status, 403);
      assert.match(noRun.body.error.message, /not allowed to add test runs/);
      assert.equal((await viewer.patch(stepUrl(runSteps[0]!.id), { result: 'failed' })).status, 403);
      await h.admin.post('/api/v1/projects', { key: 'OTH', name: 'Other' });
      const outsider = await h.user('outsider', { project: 'OTH', group: 'Administrators' });
      assert.equal((await outsider.get(`/api/v1/projects/QA/records/${run.id}/test-run`)).status, 404);
      assert.equal((await outsider.patch(stepUrl(runSteps[0]!.id), { result: 'failed' })).status, 404);
      assert.equal((await outsider.post(`/api/v1/projects/QA/records/${tc.id}/test-runs`, {})).status, 404);
      assert.equal((await dev.get(`/api/v1/projects/QA/records/${tc.id}/test-runs`)).body.runs.length, 1, 'the outsider made nothing');

      // A test run made by hand has no steps to record.
      const manual = (await dev.post('/api/v1/projects/QA/records', { type: 'testRun', title: 'Exploratory session' })).body as { id: string };
      assert.deepEqual((await dev.get(`/api/v1/projects/QA/records/${manual.id}/test-run`)).body.steps, []);
      assert.equal(
        (await dev.put(`/api/v1/projects/QA/records/${manual.id}/test-run/result`, { result: 'passed', reason: 'x' })).body.error.code,
        'not_a_run_of_a_test_case',
      );
    });
  });
}
