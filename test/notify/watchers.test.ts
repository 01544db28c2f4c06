import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { simpleParser } from 'mailparser';
import { outboundModule } from '../../src/outbound/index.js';
import { Sender } from '../../src/outbound/sender.js';
import { rulesModule } from '../../src/rules/index.js';
import { setTrackingSettings } from '../../src/store/trackingAccounts.repository.js';
import { templatesModule } from '../../src/templates/index.js';
import { startTestApp } from '../support/app.js';
import { SmtpSink } from '../support/smtpSink.js';
import { STORE_KINDS } from '../support/stores.js';

type WatcherList = { watching: boolean; watchers: { username: string; reason: string }[] };
const names = (l: WatcherList) => l.watchers.map((w) => `${w.username}:${w.reason}`).sort();

for (const kind of STORE_KINDS) {
  describe(`watchers on ${kind}`, () => {
    test('creator and assignee watch until they opt out; anyone who can view watches; others need manageWatchers; history notes each', async (t) => {
      const h = await startTestApp(t, kind);
      if (!h) return;
      await h.admin.post('/api/v1/projects', { key: 'WAT', name: 'Watching' });
      const dev = await h.user('dev', { project: 'WAT' });
      const ann = await h.user('ann', { project: 'WAT' });
      const vic = await h.user('vic', { project: 'WAT', group: 'Viewers' });
      await h.user('lead', { project: 'WAT', group: 'Administrators' });
      await h.user('outsider');
      const rec = (await dev.post('/api/v1/projects/WAT/records', { type: 'defect', title: 'Totals wrong' })).body as { id: string };
      const url = `/api/v1/projects/WAT/records/${rec.id}/watchers`;

      let list = (await dev.get(url)).body as WatcherList;
      assert.equal(list.watching, true, 'the creator watches without asking');
      assert.deepEqual(names(list), ['dev:creator']);
      await dev.patch(`/api/v1/projects/WAT/records/${rec.id}`, { assignee: 'ann' });
      list = (await ann.get(url)).body as WatcherList;
      assert.equal(list.watching, true);
      assert.deepEqual(names(list), ['ann:assignee', 'dev:creator']);

      // A viewer may watch for themselves (view is enough), not choose for anyone else.
      const vicWatch = await vic.put(`${url}/vic`, {});
      assert.equal(vicWatch.status, 200, JSON.stringify(vicWatch.body));
      assert.deepEqual(names(vicWatch.body), ['ann:assignee', 'dev:creator', 'vic:watching']);
      assert.equal((await vic.put(`${url}/vic`, {})).status, 200, 'watching twice is no error');
      const vicAddsDev = await vic.delete(`${url}/dev`);
      assert.equal(vicAddsDev.status, 403);
      assert.equal(vicAddsDev.body.error.code, 'missing_command');
      assert.equal((await dev.put(`${url}/vic`, {})).status, 403, 'Developers do not hold manageWatchers by default');

      // The creator opts out, and stays out when the record changes hands and back.
      list = (await dev.delete(`${url}/dev`)).body as WatcherList;
      assert.equal(list.watching, false);
      assert.deepEqual(names(list), ['ann:assignee', 'vic:watching']);
      await dev.patch(`/api/v1/projects/WAT/records/${rec.id}`, { assignee: 'dev' });
      assert.deepEqual(names((await dev.get(url)).body), ['vic:watching'], 'dev opted out; ann is no longer the assignee');
      list = (await dev.put(`${url}/dev`, {})).body as WatcherList;
      assert.deepEqual(names(list), ['dev:watching', 'vic:watching']);

      // A project administrator (manageWatchers) adds and removes others; only people who can see the record.
      const lead = await h.login('lead', 'user-password-123');
      assert.deepEqual(names((await lead.put(`${url}/ann`, {})).body), ['ann:watching', 'dev:watching', 'vic:watching']);
      const outsider = await lead.put(`${url}/outsider`, {});
      assert.equal(outsider.status, 400);
      assert.equal(outsider.body.error.code, 'watcher_cannot_view');
      assert.equal((await lead.put(`${url}/nobody`, {})).body.error.code, 'watcher_cannot_view');
      assert.deepEqual(names((await lead.delete(`${url}/vic`)).body), ['ann:watching', 'dev:watching']);
      const stranger = await h.user('other');
      assert.equal((await stranger.get(url)).status, 404, 'a non-member cannot even see that the record exists');

      const events = (
        (await dev.get(`/api/v1/projects/WAT/records/${rec.id}/history`)).body.events as {
          kind: string;
          actor: string;
          changes: { old: string | null; new: string | null }[];
        }[]
      ).filter((e) => e.kind.startsWith('watcher.'));
      assert.deepEqual(
        events.map((e) => `${e.actor} ${e.kind} ${e.changes[0]!.new ?? e.changes[0]!.old}`),
        ['vic watcher.added vic', 'dev watcher.removed dev', 'dev watcher.added dev', 'lead watcher.added ann', 'lead watcher.removed vic'],
      );
    });

    test('a rule with recipient "watchers" mails each watcher once, never the actor, never someone who opted out', async (t) => {
      const sink = await new SmtpSink().start();
      t.after(() => sink.stop());
      const h = await startTestApp(t, kind, { modules: [templatesModule, outboundModule(), rulesModule] });
      if (!h) return;
      await h.admin.put('/api/v1/admin/email/sending', { host: '127.0.0.1', port: sink.port, security: 'none' });
      await setTrackingSettings(h.running.ctx.store.db, { address: 'tracking@example.test' });
      await h.admin.post('/api/v1/projects', { key: 'WAT', name: 'Watching' });
      await h.admin.put('/api/v1/projects/WAT/options/email', {
        sendingEnabled: true,
        trackingEnabled: true,
        notificationAccount: { name: 'WAT Tracker', address: 'wat-notify@example.test' },
      });
      const dev = await h.user('dev', { project: 'WAT' });
      const ann = await h.user('ann', { project: 'WAT' });
      const vic = await h.user('vic', { project: 'WAT', group: 'Viewers' });
      const rule = await h.admin.post('/api/v1/projects/WAT/notification-rules', {
        name: 'Tell the watchers',
        enabled: true,
        event: 'record.updated',
        recordTypes: [],
        recipients: ['watchers', 'assignee'],
        template: 'Record changed',
        tracked: true,
      });
      assert.equal(rule.status, 201, JSON.stringify(rule.body));
      const rec = (await dev.post('/api/v1/projects/WAT/records', { type: 'defect', title: 'Totals wrong', assignee: 'ann' })).body as { id: string };
      const url = `/api/v1/projects/WAT/records/${rec.id}/watchers`;
      await vic.put(`${url}/vic`, {});

      await ann.patch(`/api/v1/projects/WAT/records/${rec.id}`, { priority: 'high' });
      const send = async () => {
        const s = new Sender(h.running.ctx);
        await s.drain();
        await s.stop();
      };
      await send();
      // ann made the change: the creator (dev) and vic are told, each once although ann is both assignee and watcher.
      assert.deepEqual(sink.messages.map((m) => m.to.join()).sort(), ['dev@example.test', 'vic@example.test']);
      const parsed = await simpleParser(sink.messages[0]!.raw);
      assert.equal(parsed.from?.value[0]?.address, 'wat-notify@example.test');

      await vic.delete(`${url}/vic`);
      await dev.delete(`${url}/dev`);
      await ann.patch(`/api/v1/projects/WAT/records/${rec.id}`, { priority: 'low' });
      await send();
      assert.equal(sink.messages.length, 2, 'nobody watches but the actor: no email');
    });
  });
}
