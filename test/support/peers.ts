/**
 * The one way a test needs a real peer (PostgreSQL, Postfix + Dovecot, Chromium, curl):
 *
 *   if (!(await requirePeer(t, 'PostgreSQL', postgresProbe))) return;
 *
 * A missing peer skips the test on a developer machine and fails it under CI=true, where
 * .ci/run installs and starts every peer: CI must never go green by skipping. Each probe runs
 * once per process (per name), so a thousand tests do not reconnect a thousand times.
 */
import { spawnSync } from 'node:child_process';
import type { TestContext } from 'node:test';

/** Says whether the peer is there; `hint` tells a person how to get it when it is not. */
export interface PeerProbe {
  check(): boolean | Promise<boolean>;
  hint: string;
}

const results = new Map<string, Promise<boolean>>();

/** True when the probe is answered, resolved once per name per process. */
export function peerAvailable(name: string, probe: PeerProbe): Promise<boolean> {
  let result = results.get(name);
  if (!result) {
    result = Promise.resolve()
      .then(() => probe.check())
      .catch(() => false);
    results.set(name, result);
  }
  return result;
}

/** Goes on (true) when the peer is there; otherwise skips the test, or throws under CI=true. */
export async function requirePeer(t: TestContext, name: string, probe: PeerProbe): Promise<boolean> {
  if (await peerAvailable(name, probe)) return true;
  const message = `${name} is not available: ${probe.hint}`;
  if (process.env.CI === 'true') throw new Error(`${message} (required under CI=true: .ci/run must provide it)`);
  t.skip(message);
  return false;
}

/** curl on PATH (the sandbox's POP3 server is checked against a client we did not write). */
export const curlProbe: PeerProbe = {
  check: () => spawnSync('curl', ['--version']).status === 0,
  hint: 'install curl (apt-get install curl)',
};
