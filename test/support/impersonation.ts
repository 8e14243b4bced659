// The impersonation table of the token-mode specs (issue 9): every attempt to
// act as someone else, in each AUTH_MODE, with what was expected and what the
// server did. The specs print it, so CI output shows it.
import { ANSWER_EVENTS, snapshot } from './protocol.js';
import { collect, connect, sleep, type ConnectOptions, type TestSocket } from './sockets.js';
import type { TestServer } from './test-server.js';

/** What one attempt came to. */
export type Outcome =
  | { kind: 'accepted'; detail?: string }
  | { kind: 'refused at connect'; message: string }
  | { kind: 'refused'; message: string };

export interface Row {
  case: string;
  mode: string;
  expected: string;
  got: string;
  ok: boolean;
}

/** Rows are kept per spec file and printed once, after all its tests. */
export class ImpersonationTable {
  readonly rows: Row[] = [];

  constructor(private readonly title: string) {}

  add(row: Omit<Row, 'ok'>, ok: boolean): void {
    this.rows.push({ ...row, ok });
  }

  print(): void {
    if (this.rows.length === 0) return;
    const header: Row = { case: 'case', mode: 'mode', expected: 'expected', got: 'got', ok: true };
    const clip = (text: string) => (text.length > 90 ? `${text.slice(0, 87)}...` : text);
    const lines = [header, ...this.rows].map((row) => [
      row.case,
      row.mode,
      row.expected,
      clip(row.got),
      row === header ? 'ok?' : row.ok ? 'ok' : 'FAIL',
    ]);
    const widths = lines[0].map((_, i) => Math.max(...lines.map((line) => line[i].length)));
    const format = (line: string[]) => line.map((cell, i) => cell.padEnd(widths[i])).join(' | ');
    const failed = this.rows.filter((row) => !row.ok).length;
    console.log(
      [
        `${this.title}: ${this.rows.length} attempts, ${failed} not as expected`,
        format(lines[0]),
        widths.map((width) => '-'.repeat(width)).join('-|-'),
        ...lines.slice(1).map(format),
      ].join('\n'),
    );
  }
}

/** Opens a socket with these handshake options; a refused handshake is an outcome, not an error. */
export async function tryConnect(
  url: string,
  options: ConnectOptions,
): Promise<{ socket?: TestSocket; outcome: Outcome }> {
  try {
    const socket = await connect(url, options);
    return { socket, outcome: { kind: 'accepted' } };
  } catch (error) {
    const message = (error as Error).message;
    if (/did not connect within/.test(message)) throw error;
    return { outcome: { kind: 'refused at connect', message } };
  }
}

/** Emits and waits for the answer or `exception`: accepted, or refused with its message. */
export function attempt(
  socket: TestSocket,
  event: string,
  payload: unknown,
  answer: string,
  timeoutMs = 3000,
): Promise<Outcome> {
  return new Promise<Outcome>((resolve, reject) => {
    const done = (outcome: Outcome) => {
      clearTimeout(timer);
      socket.off(answer, onAnswer);
      socket.off('exception', onException);
      resolve(outcome);
    };
    const onAnswer = () => done({ kind: 'accepted', detail: answer });
    const onException = (error: { message?: string; event?: string }) => {
      if (error?.event === event) done({ kind: 'refused', message: String(error.message) });
    };
    const timer = setTimeout(
      () => reject(new Error(`neither "${answer}" nor exception for "${event}"`)),
      timeoutMs,
    );
    socket.on(answer, onAnswer);
    socket.on('exception', onException);
    socket.emit(event, payload);
  });
}

/** Records every answer event (and exception) the observers get from now on. */
export function watch(sockets: TestSocket[]): () => unknown[] {
  const seen: unknown[][] = [];
  for (const socket of sockets) {
    for (const event of [...ANSWER_EVENTS, 'exception']) {
      const payloads = collect(socket, event);
      seen.push(payloads);
    }
  }
  return () => seen.flat();
}

/**
 * Runs `act` and checks that nothing changed: every table as before, and the
 * observers received nothing. Returns what `act` returned, with the problems found.
 */
export async function unchangedAround<T>(
  server: TestServer,
  observers: TestSocket[],
  act: () => Promise<T>,
): Promise<{ result: T; problems: string[] }> {
  const before = await snapshot(server);
  const seen = watch(observers);
  const result = await act();
  await sleep(200); // anything wrongly sent would arrive by now
  const problems: string[] = [];
  if (JSON.stringify(await snapshot(server)) !== JSON.stringify(before)) {
    problems.push('the stored rows changed');
  }
  if (seen().length > 0) problems.push(`others received ${JSON.stringify(seen()[0])}`);
  return { result, problems };
}

export function describeOutcome(outcome: Outcome): string {
  switch (outcome.kind) {
    case 'accepted':
      return outcome.detail ? `accepted (${outcome.detail})` : 'accepted';
    case 'refused at connect':
      return `refused at connect: "${outcome.message}"`;
    case 'refused':
      return `refused with exception: "${outcome.message}"`;
  }
}
