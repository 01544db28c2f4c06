import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { STORE_KINDS } from '../support/stores.js';
import { USER_PASSWORD, startTestApp } from '../support/app.js';

for (const kind of STORE_KINDS) {
  describe(`foundation API on ${kind}`, () => {
    test('health, auth and errors', async (t) => {
      const h = await startTestApp(t, kind);
      if (!h) return;
      const health = await h.anonymous.get('/api/health');
      assert.equal(health.status, 200);
      assert.deepEqual({ status: health.body.status, db: health.body.db }, { status: 'ok', db: kind });
      assert.match(health.body.version, /^\d+\.\d+\.\d+/);

      const wrong = await h.anonymous.post('/api/v1/auth/token', { username: 'admin', password: 'nope-nope' });
      assert.equal(wrong.status, 401);
      assert.equal(wrong.body.error.code, 'unauthorized');

      const noToken = await h.anonymous.get('/api/v1/projects');
      assert.equal(noToken.status, 401);
      const badToken = await h.app.inject({ method: 'GET', url: '/api/v1/projects', headers: { authorization: 'Bearer not-a-token' } });
      assert.equal(badToken.statusCode, 401);
      assert.equal(JSON.parse(badToken.body).error.code, 'unauthorized');

      const unknownField = await h.anonymous.post('/api/v1/auth/token', { username: 'admin', password: 'x', extra: true });
      assert.equal(unknownField.status, 400);
      assert.match(unknownField.body.error.message, /unknown field "extra"/);

      const missing = await h.admin.get('/api/v1/nothing-here');
      assert.equal(missing.status, 404);
      assert.equal(missing.body.error.code, 'route_not_found');
    });

    test('users: created, listed without hashes, invalid email refused', async (t) => {
      const h = await startTestApp(t, kind);
      if (!h) return;
      const created = await h.admin.post('/api/v1/users', { username: 'ann', fullName: 'Ann A', email: 'Ann@Example.test', password: 'long-enough-pw' });
      assert.equal(created.status, 201);
      assert.equal(created.body.email, 'ann@example.test');
      assert.equal(created.body.username, 'ann');

      const bad = await h.admin.post('/api/v1/users', { username: 'bob', fullName: 'Bob', email: 'not an address', password: 'long-enough-pw' });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error.code, 'invalid_email');

      const dup = await h.admin.post('/api/v1/users', { username: 'ann', fullName: 'Ann', email: 'ann2@example.test', password: 'long-enough-pw' });
      assert.equal(dup.status, 409);

      const wrongType = await h.admin.post('/api/v1/users', { username: 'carl', fullName: 42, email: 'c@example.test', password: 'long-enough-pw' });
      assert.equal(wrongType.status, 400);
      assert.match(wrongType.body.error.message, /fullName/);

      const list = await h.admin.get('/api/v1/users');
      assert.equal(list.status, 200);
      assert.deepEqual(
        list.body.users.map((u: { username: string }) => u.username),
        ['admin', 'ann'],
      );
      assert.ok(!JSON.stringify(list.body).includes('argon2'), 'no password hash in the list');
      assert.ok(list.body.users.every((u: Record<string, unknown>) => !('password' in u) && !('passwordHash' in u)));

      const ann = await h.login('ann', 'long-enough-pw');
      const forbidden = await ann.get('/api/v1/users');
      assert.equal(forbidden.status, 403);

      const disabled = await h.admin.patch('/api/v1/users/ann', { disabled: true });
      assert.equal(disabled.status, 200);
      assert.equal((await ann.get('/api/v1/projects')).status, 401, 'a disabled user loses access at once');
    });

    test('projects, groups, members and record permissions', async (t) => {
      const h = await startTestApp(t, kind);
      if (!h) return;
      const p = await h.admin.post('/api/v1/projects', { key: 'ACC', name: 'Accounting' });
      assert.equal(p.status, 201);
      assert.equal(p.body.key, 'ACC');
      assert.equal((await h.admin.post('/api/v1/projects', { key: 'acc', name: 'Again' })).status, 409);
      await h.admin.post('/api/v1/projects', { key: 'OTHER', name: 'Other' });

      const group = await h.admin.post('/api/v1/projects/ACC/security-groups', {
        name: 'Requirements only',
        commands: ['requirements.view', 'requirements.add'],
      });
      assert.equal(group.status, 201);
      const badGroup = await h.admin.post('/api/v1/projects/ACC/security-groups', { name: 'Bad', commands: ['defects.fly'] });
      assert.equal(badGroup.status, 400);
      assert.equal(badGroup.body.error.code, 'unknown_command');

      const dev = await h.user('dev', { project: 'ACC', group: 'Developers' });
      const req = await h.user('req', { project: 'ACC', group: 'Requirements only' });
      const outsider = await h.user('outsider');

      const projects = await dev.get('/api/v1/projects');
      assert.deepEqual(
        projects.body.projects.map((x: { key: string }) => x.key),
        ['ACC'],
      );
      assert.deepEqual(
        (await h.admin.get('/api/v1/projects')).body.projects.map((x: { key: string }) => x.key),
        ['ACC', 'OTHER'],
      );

      const d1 = await dev.post('/api/v1/projects/ACC/records', { type: 'defect', title: 'Totals are wrong', description: 'Off by one', assignee: 'dev' });
      assert.equal(d1.status, 201);
      assert.equal(d1.body.number, 1);
      assert.equal(d1.body.tag, 'ACC-D1');
      assert.equal(d1.body.status, 'Open');
      assert.equal(d1.body.creator, 'dev');
      assert.equal(d1.body.assignee, 'dev');
      const d2 = await dev.post('/api/v1/projects/ACC/records', { type: 'defect', title: 'Second' });
      assert.equal(d2.body.number, 2);
      const r1 = await req.post('/api/v1/projects/ACC/records', { type: 'requirement', title: 'Must export CSV' });
      assert.equal(r1.body.number, 1, 'numbers count per type');

      // A member without defects.view: 403 on a defect. A non-member: 404 for the project.
      const denied = await req.get(`/api/v1/projects/ACC/records/${d1.body.id}`);
      assert.equal(denied.status, 403);
      assert.equal(denied.body.error.code, 'missing_command');
      assert.equal((await req.post('/api/v1/projects/ACC/records', { type: 'defect', title: 'x' })).status, 403);
      const listForReq = await req.get('/api/v1/projects/ACC/records');
      assert.deepEqual(
        listForReq.body.records.map((r: { tag: string }) => r.tag),
        ['ACC-R1'],
        'lists only viewable types',
      );
      const notMember = await outsider.get(`/api/v1/projects/ACC/records/${d1.body.id}`);
      assert.equal(notMember.status, 404);
      assert.equal(notMember.body.error.code, 'project_not_found');
      assert.equal((await outsider.get('/api/v1/projects/NOPE')).status, 404);
      // A record id from one project is not found through another project.
      assert.equal((await h.admin.get(`/api/v1/projects/OTHER/records/${d1.body.id}`)).status, 404);

      const badBody = await dev.post('/api/v1/projects/ACC/records', { type: 'bug', title: '' });
      assert.equal(badBody.status, 400);
      assert.match(badBody.body.error.message, /type|title/);
      const tooLong = await dev.post('/api/v1/projects/ACC/records', { type: 'defect', title: 'x'.repeat(501) });
      assert.equal(tooLong.status, 400);
      assert.match(tooLong.body.error.message, /title/);
      const notMemberAssignee = await dev.post('/api/v1/projects/ACC/records', { type: 'defect', title: 'x', assignee: 'outsider' });
      assert.equal(notMemberAssignee.status, 400);
      assert.equal(notMemberAssignee.body.error.code, 'assignee_not_member');

      const patched = await dev.patch(`/api/v1/projects/ACC/records/${d1.body.id}`, { status: 'Fixed', assignee: null });
      assert.equal(patched.status, 200);
      assert.equal(patched.body.status, 'Fixed');
      assert.equal(patched.body.assignee, null);
      const history = await dev.get(`/api/v1/projects/ACC/records/${d1.body.id}/history`);
      assert.equal(history.body.events.length, 2);
      assert.equal(history.body.events[1].actor, 'dev');
      assert.deepEqual(history.body.events[1].changes, [
        { field: 'status', old: 'Open', new: 'Fixed' },
        { field: 'assignee', old: 'dev', new: null },
      ]);

      const filtered = await dev.get('/api/v1/projects/ACC/records?type=defect&status=Open');
      assert.deepEqual(
        filtered.body.records.map((r: { tag: string }) => r.tag),
        ['ACC-D2'],
      );
      const searched = await dev.get('/api/v1/projects/ACC/records?q=off%20BY');
      assert.deepEqual(
        searched.body.records.map((r: { tag: string }) => r.tag),
        ['ACC-D1'],
      );
      const sorted = await dev.get('/api/v1/projects/ACC/records?type=defect&sort=number&order=asc&limit=1');
      assert.deepEqual(
        sorted.body.records.map((r: { tag: string }) => r.tag),
        ['ACC-D1'],
      );

      // Membership and group changes take effect.
      assert.equal((await h.admin.put('/api/v1/projects/ACC/members/req', { securityGroup: 'Viewers' })).status, 200);
      assert.equal((await req.get(`/api/v1/projects/ACC/records/${d1.body.id}`)).status, 200);
      assert.equal((await dev.put('/api/v1/projects/ACC/members/req', { securityGroup: 'Developers' })).status, 403, 'needs project.administer');
      assert.equal((await h.admin.put('/api/v1/projects/ACC/members/req', { securityGroup: 'No such group' })).status, 400);
      const inUse = await h.admin.get('/api/v1/projects/ACC/security-groups');
      const viewers = inUse.body.groups.find((g: { name: string }) => g.name === 'Viewers');
      assert.equal((await h.admin.delete(`/api/v1/projects/ACC/security-groups/${viewers.id}`)).status, 409);
      assert.equal((await h.admin.delete('/api/v1/projects/ACC/members/req')).status, 204);
      assert.equal((await req.get('/api/v1/projects/ACC')).status, 404);

      const emailOpts = await h.admin.put('/api/v1/projects/ACC/options/email', {
        sendingEnabled: false,
        trackingEnabled: true,
        notificationAccount: { name: 'ACC Tracker', address: 'acc-notify@example.test' },
      });
      assert.equal(emailOpts.status, 200);
      assert.equal((await dev.get('/api/v1/projects/ACC/options/email')).body.sendingEnabled, false);
      assert.equal((await dev.put('/api/v1/projects/ACC/options/email', emailOpts.body)).status, 403);
    });

    test('web sessions: cookie auth needs the CSRF token for changes', async (t) => {
      const h = await startTestApp(t, kind);
      if (!h) return;
      const login = await h.app.inject({ method: 'POST', url: '/api/v1/auth/session', payload: { username: 'admin', password: 'admin-password-for-tests' } });
      assert.equal(login.statusCode, 200);
      const cookie = login.cookies.find((c) => c.name === 'mailtrail_session');
      assert.ok(cookie?.httpOnly);
      const { csrfToken } = JSON.parse(login.body) as { csrfToken: string };
      const headers = { cookie: `mailtrail_session=${cookie!.value}` };
      assert.equal((await h.app.inject({ method: 'GET', url: '/api/v1/me', headers })).statusCode, 200);
      const noCsrf = await h.app.inject({ method: 'POST', url: '/api/v1/projects', headers, payload: { key: 'WEB', name: 'Web' } });
      assert.equal(noCsrf.statusCode, 403);
      assert.equal(JSON.parse(noCsrf.body).error.code, 'csrf_failed');
      const withCsrf = await h.app.inject({
        method: 'POST',
        url: '/api/v1/projects',
        headers: { ...headers, 'x-csrf-token': csrfToken },
        payload: { key: 'WEB', name: 'Web' },
      });
      assert.equal(withCsrf.statusCode, 201);
      const logout = await h.app.inject({ method: 'DELETE', url: '/api/v1/auth/session', headers: { ...headers, 'x-csrf-token': csrfToken } });
      assert.equal(logout.statusCode, 204);
      assert.equal((await h.app.inject({ method: 'GET', url: '/api/v1/me', headers })).statusCode, 401);
    });

    test('login attempts are rate limited', async (t) => {
      const h = await startTestApp(t, kind);
      if (!h) return;
      await h.user('victim');
      // Five failures are free, the sixth starts the backoff (test/security/auth.test.ts has the rest).
      for (let i = 0; i < 6; i++) assert.equal((await h.anonymous.post('/api/v1/auth/token', { username: 'victim', password: `guess-${i}` })).status, 401);
      const blocked = await h.anonymous.post('/api/v1/auth/token', { username: 'victim', password: USER_PASSWORD });
      assert.equal(blocked.status, 429);
      assert.equal(blocked.body.error.code, 'too_many_attempts');
    });
  });
}

test('OpenAPI documents every route with schemas', async (t) => {
  const h = await startTestApp(t, 'sqlite');
  if (!h) return;
  const doc = await h.anonymous.get('/api/openapi.json');
  assert.equal(doc.status, 200);
  const paths = Object.keys(doc.body.paths as Record<string, unknown>);
  for (const p of ['/api/health', '/api/v1/auth/token', '/api/v1/users', '/api/v1/projects/{key}/records', '/api/v1/projects/{key}/members/{username}']) {
    assert.ok(paths.includes(p), `${p} is documented`);
  }
  const post = doc.body.paths['/api/v1/projects/{key}/records'].post;
  assert.ok(post.requestBody.content['application/json'].schema.properties.title);
  assert.ok(post.responses['201']);
});
