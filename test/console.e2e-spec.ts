// The web console in a real browser: playwright-core driving Debian's Chromium
// (headless) against `node dist/main.js`, as an operator and a newcomer would
// use it (README "Console"). .ci/run installs chromium; without it this spec
// skips, except under CI=true where that is a failure.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  chromium,
  type Browser,
  type BrowserContext,
  type Locator,
  type Page,
} from 'playwright-core';
import {
  createScratchDatabase,
  ensureBuilt,
  killAllServerProcesses,
  skipProcessSpecs,
  startServerProcess,
  type ServerProcess,
} from './support/server-process.js';
import { request } from './support/protocol.js';
import { closeAllSockets, connectAs } from './support/sockets.js';
import { ADMIN_TOKEN } from './support/test-server.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ROOT = join(import.meta.dirname, '..');
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium && process.env.CI === 'true' && !process.env.SKIP_PROCESS_SPECS) {
  throw new Error(`the console browser test needs ${CHROMIUM} (.ci/run installs chromium)`);
}
if (!hasChromium) console.warn(`SKIPPED: the console browser test needs ${CHROMIUM}`);
const describeInBrowser = hasChromium && !skipProcessSpecs() ? describe : describe.skip;

/** Builds the console bundle when dist/ has none (npm run build makes it; ensureBuilt only runs tsc). */
function ensureConsoleBuilt(): void {
  ensureBuilt();
  const built = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build-console.mjs')], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (built.status !== 0) throw new Error(`console build failed:\n${built.stdout}${built.stderr}`);
}

describeInBrowser('web console in Chromium', () => {
  let server: ServerProcess;
  let database: { url: string; drop(): Promise<void> } | undefined;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  /** Every CSP violation, page error or request to another origin the browser saw. */
  const problems: string[] = [];

  beforeAll(async () => {
    ensureConsoleBuilt();
    // Its own database, shared with no other spec: a scratch database on the
    // machine's Postgres (starts in seconds), else an embedded one in memory.
    database = await createScratchDatabase().catch(() => undefined);
    [server, browser] = await Promise.all([
      startServerProcess({
        DATABASE_URL: database?.url ?? '',
        REDIS_URL: '',
        DATA_DIR: 'memory://',
        DEMO_USERS: 'true',
      }),
      chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] }),
    ]);
    context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    page = await context.newPage();
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('request', (request) => {
      if (!request.url().startsWith(`${server.url}/`))
        problems.push(`third party: ${request.url()}`);
    });
    page.on('dialog', (dialog) => void dialog.accept());
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await closeAllSockets();
    await killAllServerProcesses();
    await database?.drop();
  });

  it('serves the page with its own strict policy, and refuses a wrong token', async () => {
    const response = await page.goto(`${server.url}/console`);
    expect(response?.status()).toBe(200);
    const csp = response?.headers()['content-security-policy'] ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain('unsafe-inline');
    await page.fill('[data-test=token]', 'not-the-token');
    await page.click('[data-test=sign-in]');
    await page.waitForSelector('[data-test=sign-in-error]');
  });

  it('signs in with the admin token, kept out of the URL, and shows the overview', async () => {
    await page.fill('[data-test=token]', ADMIN_TOKEN);
    await page.click('[data-test=sign-in]');
    await page.waitForSelector('[data-test=nodes]');
    expect(await page.textContent('[data-test=nodes]')).toBe('1');
    expect(page.url()).not.toContain(ADMIN_TOKEN);
  });

  it('two phones exchange a message and a read mark over Socket.IO', async () => {
    await page.click('[data-test=nav-chat]');
    const left = page.locator('[data-test=pane-left]');
    const right = page.locator('[data-test=pane-right]');
    await left.locator('[data-test=connect]').click();
    await right.locator('[data-test=connect]').click();
    await statusOf(left, 'online');
    await statusOf(right, 'online');
    // The policy's connect-src 'self' lets the WebSocket upgrade through.
    await left.locator('[data-test=transport]', { hasText: 'websocket' }).waitFor();

    await left.locator('[data-test=draft]').fill('hello from the console');
    await left.locator('[data-test=send]').click();
    // Bob's phone shows it and, its chat being open, marks it read: Alice's shows "read".
    await right.locator('[data-test=message]', { hasText: 'hello from the console' }).waitFor();
    await left
      .locator('[data-test=message]', { hasText: 'hello from the console' })
      .locator('[data-test=mark]', { hasText: 'read' })
      .waitFor();
    const stored = await fetch(`${server.url}/admin/overview`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    }).then((answer) => answer.json() as Promise<{ nodes: Array<{ messagesTotal: number }> }>);
    expect(stored.nodes[0].messagesTotal).toBe(1);
    if (process.env.CONSOLE_SCREENSHOT) {
      // README's picture (docs/console.png): the two phones after a short exchange.
      const bob = page.locator('[data-test=pane-right]');
      await bob.locator('[data-test=draft]').fill('Hi Alice! Both phones are this console.');
      await bob.locator('[data-test=send]').click();
      await page
        .locator('[data-test=pane-left] [data-test=message]', { hasText: 'Both phones' })
        .waitFor();
      await page.screenshot({ path: process.env.CONSOLE_SCREENSHOT });
    }
  });

  it('a phone blocks, is refused a send, unblocks and clears its chat', async () => {
    const alice = page.locator('[data-test=pane-left]');
    const bob = page.locator('[data-test=pane-right]');
    await alice.locator('[data-test=block]', { hasText: 'Block' }).click();
    await bob.locator('[data-test=notices]', { hasText: 'user 1 blocked' }).waitFor();
    await bob.locator('[data-test=draft]').fill('can you hear me?');
    await bob.locator('[data-test=send]').click();
    await bob.locator('[data-test=notices]', { hasText: 'You Are Blocked By This User' }).waitFor();
    await alice.locator('[data-test=block]', { hasText: 'Unblock' }).click();
    await alice.locator('[data-test=notices]', { hasText: 'user 1 unblocked' }).waitFor();

    await alice.locator('[data-test=clear]').click();
    await alice.locator('[data-test=notices]', { hasText: 'chat cleared' }).waitFor();
    expect(await alice.locator('[data-test=message]').count()).toBe(0);
    // Cleared for Alice only.
    expect(await bob.locator('[data-test=message]').count()).toBeGreaterThan(0);
  });

  it('shows a report filed through a socket; banning from the queue disconnects that phone', async () => {
    // Carol reports Bob from her own app (a Socket.IO client of the tests).
    const carol = await connectAs(server.url, 3);
    await request(carol, 'report_user', { userId: 3, user2Id: 2, comment: 'sends spam links' });

    await page.click('[data-test=nav-reports]');
    const row = page.locator('[data-test=report]', { hasText: 'sends spam links' });
    await row.waitFor();
    expect(await row.textContent()).toContain('Bob');
    expect(await row.textContent()).toContain('Carol');
    await row.locator('[data-test=ban]').click(); // confirm() is accepted (see beforeAll)
    await page.locator('text=No open reports.').waitFor();

    // Bob's phone was cut off by the server, with the reason shown.
    await page.click('[data-test=nav-chat]');
    const bob = page.locator('[data-test=pane-right]');
    await statusOf(bob, 'disconnected by the server');
    await bob.locator('[data-test=notices]', { hasText: 'account suspended' }).waitFor();
    // Alice's phone is still online.
    await statusOf(page.locator('[data-test=pane-left]'), 'online');
    // Connecting again is refused while the ban lasts.
    await bob.locator('[data-test=connect]').click();
    await bob.locator('[data-test=notices]', { hasText: 'connect_user' }).waitFor();
  });

  it('user page: shows the ban and lifts it; the audit trail has both', async () => {
    await page.goto(`${server.url}/console#/users/2`);
    const card = page.locator('[data-test=user]');
    await card.locator('[data-test=banned]').waitFor();
    expect(await card.textContent()).toContain('Bob');
    await card.locator('[data-test=unban]').click();
    await page.locator('[data-test=user-outcome]', { hasText: 'Ban lifted' }).waitFor();
    await card.locator('[data-test=ban-user]').waitFor();
    expect(await card.locator('[data-test=banned]').count()).toBe(0);
    // The user's audit entries, under the card: the ban from the queue, and its lifting.
    await page.locator('[data-test=audit]', { hasText: 'user.unbanned' }).waitFor();
    expect(await page.textContent('[data-test=audit]')).toContain('report.resolved');

    await page.click('[data-test=nav-audit]');
    await page.locator('[data-test=audit]', { hasText: 'report.resolved' }).waitFor();
  });

  it('user page: erases a user and says what was removed', async () => {
    await page.goto(`${server.url}/console#/users/3`);
    await page.locator('[data-test=user]', { hasText: 'Carol' }).waitFor();
    await page.click('[data-test=erase]'); // confirm() is accepted
    const outcome = page.locator('[data-test=user-outcome]', { hasText: 'Erased' });
    await outcome.waitFor();
    // Carol's one report (against Bob) was hers: it goes with her.
    expect(await outcome.textContent()).toMatch(/reports 1/);
    const answer = await fetch(`${server.url}/admin/users/3`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(answer.status).toBe(404);
  });

  it('loads no third-party asset and breaks no policy', () => {
    expect(problems).toEqual([]);
  });
});

/** Waits until the pane's status line reads `text`. */
async function statusOf(pane: Locator, text: string): Promise<void> {
  await pane.locator('[data-test=status]', { hasText: new RegExp(`^${text}$`) }).waitFor();
}
