// Runs fuzz cases (see arbitraries.ts) against a running server, one at a
// time, and checks the invariants of issue 9 part 4 after each:
// - every request of a known event is answered, by its answer event or by
//   `exception` (and through the ack, with the same payload, when one was
//   given) within ANSWER_TIMEOUT_MS; an unknown event gets nothing and the
//   socket still answers the next request;
// - a refused request (or an unknown event) changes no row of any table;
// - the observer user, whom no request names, receives nothing;
// - no answer is a server fault ("internal server error"), no socket is
//   dropped, and /health stays 200.
import { isDeepStrictEqual } from 'node:util';
import type { ClientVersion, TestSocket } from '../sockets.js';
import {
  describeCase,
  OBSERVER,
  USER_A,
  USER_B,
  type FuzzCase,
  type KnownEvent,
  type Slot,
} from './arbitraries.js';
import { openSocket, type AuthMode } from './auth-modes.js';

export const ANSWER_TIMEOUT_MS = 5000;

/** Every table, each with the order that makes its fingerprint stable. */
const TABLES: Array<[string, string]> = [
  ['users', 'id'],
  ['chat_constants', 'id'],
  ['messages', 'id'],
  ['blocks', 'blocker_id, blocked_id'],
  ['reports', 'id'],
  ['feed_heads', 'user_id'],
  ['feed_events', 'user_id, pos'],
  ['push_devices', 'token'],
  ['push_deliveries', 'id'],
];

/**
 * One statement: per table the row count, the sum of the rows' xmin (any
 * insert, update or delete changes it, even one that writes the same values)
 * and an md5 of all rows' text.
 */
const FINGERPRINT_SQL = `SELECT ${TABLES.map(
  ([table, order]) =>
    `(SELECT count(*) || ':' || coalesce(sum(xmin::text::bigint), 0) || ':' || coalesce(md5(string_agg(t::text, ',' ORDER BY ${order})), '') FROM ${table} t)`,
).join(" || '|' || ")} AS fingerprint`;

/** The next transaction id to be assigned (it moves with every write, anywhere in the cluster). */
const NEXT_XID_SQL = 'SELECT pg_snapshot_xmax(pg_current_snapshot())::text AS xid';

/** The events the server emits that a socket may receive. */
const SERVER_EVENTS = [
  'exception',
  'connect_listener',
  'new_message',
  'get_data_message',
  'chat_message',
  'block_data',
  'cleared_chat',
  'report_data',
  'read_status',
  'read_data_status',
  'sync_data',
  'device_registered',
];
/** Sent to every socket of a user: they may still be arriving from an earlier request. */
const BROADCASTS = new Set(['new_message', 'read_status', 'block_data']);

export interface FuzzTarget {
  url: string;
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
}

interface Received {
  event: string;
  payload: any;
}

interface SlotState {
  slot: Slot;
  version: ClientVersion;
  /** The user the socket is bound to (undefined: not bound). */
  user?: number;
  socket: TestSocket;
  inbox: Received[];
  wake: Array<() => void>;
  /** `exception` events received, and how many the harness's requests account for. */
  exceptions: number;
  expectedExceptions: number;
  disconnectedBy?: string;
  closing: boolean;
}

export interface FuzzCounts {
  cases: number;
  accepted: number;
  refused: number;
  /** Refused with "too many requests" (flood control), part of `refused`. */
  refusedByLimits: number;
  /** Unknown events, ignored as the contract says. */
  ignored: number;
  /** Answers that were server faults, and /health failures. */
  crashes: number;
  rowsChangedByRefused: number;
  unanswered: number;
  observerEvents: number;
  disconnects: number;
  /** Sockets the server closed right after a "too many requests" refusal (flood control's rules). */
  disconnectsByLimits: number;
  byEvent: Record<string, { accepted: number; refused: number }>;
}

class InvariantError extends Error {}

/** Which event answers a request of `event` on a socket bound to `user`, and which payload is its. */
function isAnswer(event: KnownEvent, received: Received, user: number | undefined): boolean {
  const { payload } = received;
  switch (event) {
    case 'connect_user':
      return received.event === 'connect_listener';
    case 'send_message':
      // The socket's own new_message (or the blocked answer), not one another user sent it.
      return (
        received.event === 'new_message' &&
        (payload?.success_message !== undefined ||
          (user !== undefined && payload?.senderId === user))
      );
    case 'get_message':
      return received.event === 'get_data_message';
    case 'chat_listing':
      return received.event === 'chat_message';
    case 'block_user':
      return received.event === 'block_data' && payload?.userId === String(user);
    case 'delete_chat':
      return received.event === 'cleared_chat';
    case 'report_user':
      return received.event === 'report_data';
    case 'read_unread':
      // The caller's own answer, which follows read_status.
      return received.event === 'read_data_status';
    case 'sync':
      return received.event === 'sync_data';
    case 'register_device':
      return received.event === 'device_registered';
  }
}

export class FuzzHarness {
  readonly counts: FuzzCounts = {
    cases: 0,
    accepted: 0,
    refused: 0,
    refusedByLimits: 0,
    ignored: 0,
    crashes: 0,
    rowsChangedByRefused: 0,
    unanswered: 0,
    observerEvents: 0,
    disconnects: 0,
    disconnectsByLimits: 0,
    byEvent: {},
  };
  private readonly slots = new Map<Slot, SlotState>();
  private observer?: TestSocket;
  private readonly observed: string[] = [];
  private fingerprint = '';
  private fingerprintXid = '';
  private lastCase = '';
  private previousCase = '';

  constructor(
    private readonly target: FuzzTarget,
    private readonly mode: AuthMode,
  ) {}

  async start(): Promise<void> {
    this.observer = await this.bound(OBSERVER, 'v4');
    (this.observer as any).onAny((event: string, payload: unknown) => {
      this.counts.observerEvents++;
      this.observed.push(
        `${event} ${JSON.stringify(payload)?.slice(0, 200)} (during or right after: ${this.previousCase} / ${this.lastCase})`,
      );
    });
    await this.openSlot('a', USER_A, 'v4');
    await this.openSlot('b', USER_B, 'v2');
    if (this.mode.allowsUnboundSocket) await this.openSlot('unbound', undefined, 'v4');
    this.fingerprint = await this.readFingerprint();
  }

  /** Runs one case; throws (an InvariantError) when an invariant does not hold. */
  async run(fuzzCase: FuzzCase): Promise<void> {
    this.counts.cases++;
    this.previousCase = this.lastCase;
    this.lastCase = describeCase(fuzzCase);
    const where =
      fuzzCase.slot === 'unbound' && !this.mode.allowsUnboundSocket ? 'a' : fuzzCase.slot;
    const slot = this.slots.get(where)!;
    const before = this.fingerprint;
    const refused = fuzzCase.known
      ? await this.request(slot, fuzzCase)
      : await this.unknownEvent(slot, fuzzCase);
    this.fingerprint = await this.readFingerprint();
    if (refused && this.fingerprint !== before) {
      this.counts.rowsChangedByRefused++;
      this.fail(`a refused request changed rows: ${before} -> ${this.fingerprint}`);
    }
    if (this.counts.observerEvents > 0) {
      this.fail(`the observer, whom no request names, received: ${this.observed.join('; ')}`);
    }
    if (this.counts.cases % 1000 === 0) await this.expectHealthy();
  }

  /** After the last case: the process serves, every socket is up, every exception accounted for. */
  async finish(): Promise<void> {
    await this.expectHealthy();
    for (const slot of this.slots.values()) {
      if (!slot.socket.connected) this.fail(`the ${slot.slot} socket is not connected at the end`);
      // A last request, so that any late `exception` would have arrived.
      await this.probe(slot);
      if (slot.exceptions !== slot.expectedExceptions) {
        this.fail(
          `the ${slot.slot} socket received ${slot.exceptions} exceptions for ${slot.expectedExceptions} refusals`,
        );
      }
    }
    if (!this.observer?.connected) this.fail('the observer socket is not connected at the end');
  }

  close(): void {
    for (const slot of this.slots.values()) {
      slot.closing = true;
      slot.socket.close();
    }
    this.observer?.close();
  }

  // ---- one request of a known event; returns whether it was refused

  private async request(slot: SlotState, fuzzCase: FuzzCase): Promise<boolean> {
    const event = fuzzCase.event as KnownEvent;
    const tally = (this.counts.byEvent[event] ??= { accepted: 0, refused: 0 });
    const from = slot.inbox.length;
    const acked = this.emit(slot, fuzzCase);
    const index = await this.waitFor(
      slot,
      from,
      (received) => received.event === 'exception' || isAnswer(event, received, slot.user),
    );
    if (index === undefined) {
      if (slot.disconnectedBy) return this.dropped(slot, 'while waiting for the answer');
      this.counts.unanswered++;
      this.fail(`no answer and no exception within ${ANSWER_TIMEOUT_MS} ms`);
    }
    const answer = slot.inbox[index];
    const ack = fuzzCase.ack ? await acked : undefined;
    if (fuzzCase.ack && ack === NO_ACK)
      this.fail(`the ack was not called within ${ANSWER_TIMEOUT_MS} ms`);

    if (answer.event === 'exception') {
      slot.expectedExceptions++;
      this.counts.refused++;
      tally.refused++;
      const message = String(answer.payload?.message ?? '');
      if (
        answer.payload?.status !== 'error' ||
        answer.payload?.event !== event ||
        !message.trim()
      ) {
        this.fail(`malformed or misdirected exception: ${JSON.stringify(answer.payload)}`);
      }
      if (/internal server error/i.test(message)) {
        this.counts.crashes++;
        this.fail(`a server fault: ${message}`);
      }
      if (/too many requests/i.test(message)) this.counts.refusedByLimits++;
      if (fuzzCase.ack && !isDeepStrictEqual(ack, answer.payload)) {
        this.fail(
          `the ack ${JSON.stringify(ack)} differs from the exception ${JSON.stringify(answer.payload)}`,
        );
      }
      return true;
    }

    this.counts.accepted++;
    tally.accepted++;
    if (fuzzCase.ack) {
      const expected =
        event === 'read_unread'
          ? (ack as any)?.readStatus === 1 && (ack as any)?.userId === slot.user
          : isDeepStrictEqual(ack, answer.payload);
      if (!expected)
        this.fail(`the ack ${JSON.stringify(ack)?.slice(0, 300)} differs from the answer`);
    }
    if (event === 'connect_user') await this.bindingChanged(slot, answer.payload?.userId);
    return false;
  }

  /** connect_user answered: a bound socket must stay who it was; an unbound one is replaced. */
  private async bindingChanged(slot: SlotState, userId: unknown): Promise<void> {
    if (slot.user !== undefined) {
      if (userId !== slot.user)
        this.fail(`a socket bound to ${slot.user} was bound to ${String(userId)}`);
      return;
    }
    // Keep an unbound socket for the next cases (and one socket per fuzzed user).
    slot.closing = true;
    slot.socket.close();
    await this.openSlot(slot.slot, undefined, slot.version);
  }

  // ---- unknown events: nothing comes back, and the socket still answers

  private async unknownEvent(slot: SlotState, fuzzCase: FuzzCase): Promise<boolean> {
    this.counts.ignored++;
    const from = slot.inbox.length;
    let acked = false;
    void this.emit(slot, fuzzCase, () => (acked = true));
    const answered = await this.probe(slot);
    if (answered === undefined) {
      if (slot.disconnectedBy) return this.dropped(slot, 'after an unknown event');
      this.counts.unanswered++;
      this.fail(`the socket stopped answering after an unknown event`);
    }
    const between = slot.inbox.slice(from, answered).filter((r) => !BROADCASTS.has(r.event));
    if (between.length > 0 || acked) {
      this.fail(
        `an unknown event was answered: ${acked ? 'ack called; ' : ''}${between.map((r) => `${r.event} ${JSON.stringify(r.payload)?.slice(0, 200)}`).join('; ')}`,
      );
    }
    return true;
  }

  /**
   * A request with a known answer: chat_listing on a bound socket, a refused
   * get_message on an unbound one. Resolves with its index in the inbox.
   */
  private async probe(slot: SlotState): Promise<number | undefined> {
    const from = slot.inbox.length;
    if (slot.user !== undefined) {
      slot.socket.emit('chat_listing', { userId: slot.user });
      return this.waitFor(slot, from, (r) => r.event === 'chat_message');
    }
    slot.expectedExceptions++;
    slot.socket.emit('get_message', 'fuzz probe');
    return this.waitFor(
      slot,
      from,
      (r) => r.event === 'exception' && r.payload?.event === 'get_message',
    );
  }

  // ---- sockets

  private async bound(userId: number, version: ClientVersion): Promise<TestSocket> {
    const socket = await openSocket(this.target.url, this.mode, userId, version);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`connect_user ${userId}: no answer`)), 5000);
      socket.on('connect_listener', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.on('exception', (error: unknown) => {
        clearTimeout(timer);
        reject(new Error(`connect_user ${userId}: ${JSON.stringify(error)}`));
      });
      socket.emit('connect_user', { userId });
    });
    return socket;
  }

  private async openSlot(
    slot: Slot,
    user: number | undefined,
    version: ClientVersion,
  ): Promise<void> {
    const socket =
      user === undefined
        ? await openSocket(this.target.url, this.mode, undefined, version)
        : await this.bound(user, version);
    const state: SlotState = {
      slot,
      version,
      user,
      socket,
      inbox: [],
      wake: [],
      exceptions: 0,
      expectedExceptions: 0,
      closing: false,
    };
    for (const event of SERVER_EVENTS) {
      socket.on(event, (payload: unknown) => {
        if (event === 'exception') state.exceptions++;
        state.inbox.push({ event, payload });
        for (const wake of state.wake.splice(0)) wake();
      });
    }
    socket.on('disconnect', (reason: string) => {
      if (state.closing) return;
      state.disconnectedBy = reason;
      for (const wake of state.wake.splice(0)) wake();
    });
    this.slots.set(slot, state);
  }

  /** The server dropped a socket: allowed only right after a flood-control refusal. */
  private async dropped(slot: SlotState, when: string): Promise<boolean> {
    const last = slot.inbox.at(-1);
    const byLimits =
      last?.event === 'exception' && /too many requests/i.test(String(last.payload?.message));
    if (byLimits) {
      this.counts.disconnectsByLimits++;
    } else {
      this.counts.disconnects++;
      this.fail(`the server disconnected the ${slot.slot} socket ${when} (${slot.disconnectedBy})`);
    }
    await this.openSlot(slot.slot, slot.user, slot.version);
    return true;
  }

  /**
   * Emits the case; with an ack, resolves with what the server acked (NO_ACK
   * after the timeout). `onAck` instead: just called if the server acks.
   */
  private emit(slot: SlotState, fuzzCase: FuzzCase, onAck?: () => void): Promise<unknown> {
    let ack: Promise<unknown> = Promise.resolve(undefined);
    const args = [...fuzzCase.args];
    if (fuzzCase.ack && onAck) {
      args.push(onAck);
    } else if (fuzzCase.ack) {
      ack = new Promise((resolve) => {
        const timer = setTimeout(() => resolve(NO_ACK), ANSWER_TIMEOUT_MS);
        args.push((answer: unknown) => {
          clearTimeout(timer);
          resolve(answer);
        });
      });
    }
    slot.socket.emit(fuzzCase.event, ...args);
    return ack;
  }

  /** Index of the first entry from `from` on that `match` takes, or undefined after the timeout or a disconnect. */
  private waitFor(
    slot: SlotState,
    from: number,
    match: (received: Received) => boolean,
  ): Promise<number | undefined> {
    return new Promise((resolve) => {
      let scanned = from;
      const timer = setTimeout(() => resolve(undefined), ANSWER_TIMEOUT_MS);
      const check = () => {
        for (; scanned < slot.inbox.length; scanned++) {
          if (match(slot.inbox[scanned])) {
            clearTimeout(timer);
            return resolve(scanned);
          }
        }
        if (slot.disconnectedBy) {
          clearTimeout(timer);
          return resolve(undefined);
        }
        slot.wake.push(check);
      };
      check();
    });
  }

  /**
   * The tables' fingerprint. Writing a row takes a transaction id, so while
   * the next id to be assigned has not moved no row has changed and the last
   * fingerprint still holds: one cheap query after most refused requests. (On
   * a shared Postgres other databases move it too; then it is recomputed.)
   */
  private async readFingerprint(): Promise<string> {
    const [next] = await this.target.query<{ xid: string }>(NEXT_XID_SQL);
    if (next.xid === this.fingerprintXid) return this.fingerprint;
    const [row] = await this.target.query<{ fingerprint: string }>(FINGERPRINT_SQL);
    this.fingerprintXid = next.xid;
    return row.fingerprint;
  }

  private async expectHealthy(): Promise<void> {
    let status = 0;
    try {
      status = (await fetch(`${this.target.url}/health`)).status;
    } catch {
      status = 0;
    }
    if (status !== 200) {
      this.counts.crashes++;
      this.fail(`GET /health answered ${status || 'nothing'}`);
    }
  }

  private fail(message: string): never {
    throw new InvariantError(message);
  }
}

const NO_ACK = Symbol('no ack');
