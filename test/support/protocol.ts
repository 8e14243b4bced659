// Helpers that speak the chat protocol (events, answers, refusals, stored rows),
// shared by the e2e spec files. Written from the contract, like the specs.
import { sleep, type ClientVersion, type TestSocket, type Transport } from './sockets.js';
import type { TestServer } from './test-server.js';

export interface Variant {
  name: string;
  version: ClientVersion;
  transport: Transport;
}

/** Every client the server must serve: both client versions over both transports. */
export const VARIANTS: Variant[] = [
  { name: 'v4 websocket', version: 'v4', transport: 'websocket' },
  { name: 'v4 polling', version: 'v4', transport: 'polling' },
  { name: 'v2 websocket', version: 'v2', transport: 'websocket' },
  { name: 'v2 polling', version: 'v2', transport: 'polling' },
];

/** The event the server answers each client event on (the first one for read_unread). */
export const ANSWER: Record<string, string> = {
  connect_user: 'connect_listener',
  send_message: 'new_message',
  get_message: 'get_data_message',
  chat_listing: 'chat_message',
  block_user: 'block_data',
  delete_chat: 'cleared_chat',
  report_user: 'report_data',
  read_unread: 'read_status',
  sync: 'sync_data',
};
/** Every answer event (not exception): none of them may follow a refused request. */
export const ANSWER_EVENTS = [...Object.values(ANSWER), 'read_data_status'];

/**
 * Emits `event` and resolves with the next `answer` on the same socket that `accept`
 * takes; rejects at once (with the payload in the message) if the socket gets
 * `exception` instead.
 */
export function request<T = any>(
  socket: TestSocket,
  event: string,
  payload: unknown,
  answer = ANSWER[event],
  accept: (data: any) => boolean = () => true,
  timeoutMs = 3000,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const cleanup = () => {
      clearTimeout(timer);
      socket.off(answer, onAnswer);
      socket.off('exception', onException);
    };
    const onAnswer = (data: T) => {
      if (!accept(data)) return;
      cleanup();
      resolve(data);
    };
    const onException = (error: unknown) => {
      cleanup();
      reject(
        new Error(
          `${event} was answered with exception ${JSON.stringify(error)} instead of ${answer}`,
        ),
      );
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`no "${answer}" for "${event}" within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on(answer, onAnswer);
    socket.on('exception', onException);
    socket.emit(event, payload);
  });
}

/**
 * What keeps `error` from the shape the contract gives every refusal of `event`
 * ({ status: 'error', event, message: a non-blank string }), or null when it has it.
 */
export function errorShapeProblem(error: any, event: string): string | null {
  if (!error || typeof error !== 'object') return `not an object: ${JSON.stringify(error)}`;
  if (error.status !== 'error') return `status is ${JSON.stringify(error.status)}`;
  if (error.event !== event) return `event is ${JSON.stringify(error.event)}`;
  if (typeof error.message !== 'string' || error.message.trim().length === 0) {
    return `message is ${JSON.stringify(error.message)}`;
  }
  return null;
}

/** Checks the shape the contract gives every refusal. */
export function expectErrorShape(error: any, event: string): void {
  expect(errorShapeProblem(error, event)).toBeNull();
}

/**
 * Emits `event` and resolves with the `exception` it must cause, checked with
 * expectErrorShape; fails if the answer event arrives instead.
 */
export async function expectException(
  socket: TestSocket,
  event: string,
  payload: unknown,
  timeoutMs = 3000,
): Promise<any> {
  const answer = ANSWER[event] ?? 'no answer event';
  const error = await new Promise<any>((resolve, reject) => {
    const cleanup = () => {
      clearTimeout(timer);
      socket.off(answer, onAnswer);
      socket.off('exception', onException);
    };
    const onAnswer = (data: unknown) => {
      cleanup();
      reject(
        new Error(
          `${event} ${JSON.stringify(payload)} was accepted (${answer} ${JSON.stringify(data)}), expected exception`,
        ),
      );
    };
    const onException = (data: unknown) => {
      cleanup();
      resolve(data);
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(
        new Error(
          `no "exception" for "${event}" ${JSON.stringify(payload)} within ${timeoutMs} ms`,
        ),
      );
    }, timeoutMs);
    socket.on(answer, onAnswer);
    socket.on('exception', onException);
    socket.emit(event, payload);
  });
  expectErrorShape(error, event);
  return error;
}

/** Polls `check` until it stops throwing, or rethrows its last error after `timeoutMs`. */
export async function eventually(check: () => Promise<void>, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(50);
    }
  }
}

// ---- requests

/** A send_message payload with the ids as strings, as the legacy apps send it. */
export function text(
  senderId: number,
  receiverId: number,
  message: string,
  messageType: number | string = '0',
) {
  return { senderId: String(senderId), receiverId: String(receiverId), messageType, message };
}

/**
 * Sends and resolves with the calling socket's new_message for this very message (or the
 * blocked answer): the socket may still be receiving an earlier message of the other party.
 * `accept` replaces that test of which new_message is the answer.
 */
export function sendMessage(
  socket: TestSocket,
  payload: unknown,
  accept?: (data: any) => boolean,
): Promise<any> {
  const sent =
    typeof payload === 'string' ? JSON.parse(payload) : (payload as { message?: unknown });
  return request(
    socket,
    'send_message',
    payload,
    'new_message',
    accept ?? ((data) => data?.message === sent.message || data?.success_message !== undefined),
  );
}

export const getMessages = (socket: TestSocket, payload: unknown) =>
  request<any[]>(socket, 'get_message', payload);

export const chatListing = (socket: TestSocket, userId: number) =>
  request<any[]>(socket, 'chat_listing', { userId: String(userId) });

/** block_user, resolving with this actor's block_data: the socket may still receive the other side's earlier one. */
export const block = (socket: TestSocket, userId: number, user2Id: number, status: 0 | 1) =>
  request(
    socket,
    'block_user',
    { userId: String(userId), user2Id: String(user2Id), status: String(status) },
    'block_data',
    (payload) => payload?.userId === String(userId) && payload?.block_data === String(status),
  );

// ---- field types

export function expectIntegerFields(row: Record<string, unknown>, fields: readonly string[]): void {
  for (const field of fields) {
    expect([field, typeof row[field]]).toEqual([field, 'number']);
    expect([field, Number.isInteger(row[field])]).toEqual([field, true]);
  }
}

export function expectStringFields(row: Record<string, unknown>, fields: readonly string[]): void {
  for (const field of fields) expect([field, typeof row[field]]).toEqual([field, 'string']);
}

// ---- time windows (unix seconds)

/** Unix seconds, rounded down (lower bound of a server timestamp taken after this call). */
export const nowFloor = () => Math.floor(Date.now() / 1000);
/** Unix seconds, rounded up (upper bound of a server timestamp taken before this call). */
export const nowCeil = () => Math.ceil(Date.now() / 1000);

/** Time window (unix seconds) of an action that started at `startMs`, with a second of slack on each side. */
export function windowAround(startMs: number): { from: number; to: number } {
  return { from: Math.floor(startMs / 1000) - 1, to: nowCeil() + 1 };
}

// ---- stored tables

/** Every table, with the order that makes its rows comparable between two reads. */
const TABLE_ORDER = {
  users: 'id',
  chat_constants: 'id',
  messages: 'id',
  blocks: 'blocker_id, blocked_id',
  reports: 'id',
  bans: 'user_id',
  admin_audit: 'id',
};
export type Table = keyof typeof TABLE_ORDER;
const TABLES = Object.keys(TABLE_ORDER) as Table[];

/** Every stored row of `tables` (all of them by default), to prove that a request changed nothing. */
export async function snapshot(
  server: TestServer,
  tables: Table[] = TABLES,
): Promise<Partial<Record<Table, unknown[]>>> {
  const rows: Partial<Record<Table, unknown[]>> = {};
  for (const table of tables) {
    rows[table] = await server.query(`SELECT * FROM ${table} ORDER BY ${TABLE_ORDER[table]}`);
  }
  return rows;
}

/** How many rows `table` holds. */
export async function count(server: TestServer, table: Table): Promise<number> {
  const [row] = await server.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
  return row.n;
}
