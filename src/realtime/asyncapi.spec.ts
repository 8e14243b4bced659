import { beforeAll, describe, expect, it } from '@jest/globals';
import { DiagnosticSeverity, Parser, type AsyncAPIDocumentInterface } from '@asyncapi/parser';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExceptionPayload } from '../common/legacy-exception.filter.js';
import type { ConversationRow } from '../conversations/conversation-row.js';
import type { HistoryRow, NewMessageRow } from '../messages/message-row.mapper.js';
import type { ReadStatusPayload, ServerToClientEvents } from './server-events.js';

// docs/asyncapi.yaml describes the socket protocol; this spec keeps it valid
// AsyncAPI and in step with the code, so the two cannot drift.

const ROOT = join(import.meta.dirname, '..', '..');
const SRC = join(ROOT, 'src');

/** Documented but not served yet (none: every documented event is served). */
const DOCUMENTED_NOT_YET_IMPLEMENTED = [] as const;
type Pending = (typeof DOCUMENTED_NOT_YET_IMPLEMENTED)[number];

/**
 * Every key of ServerToClientEvents: `npm run typecheck` fails when the map
 * gains or loses an event that this list does not (Pending aside).
 */
const SERVER_EVENTS = {
  connect_listener: true,
  new_message: true,
  get_data_message: true,
  chat_message: true,
  block_data: true,
  cleared_chat: true,
  report_data: true,
  read_status: true,
  read_data_status: true,
  exception: true,
  sync_data: true,
  device_registered: true,
} satisfies Record<Exclude<keyof ServerToClientEvents, Pending>, true>;

/**
 * The fields of each typed wire shape, checked the same way, against the
 * properties of its schema in the document. `pos` (durable feed) is left out
 * while the feed is pending.
 */
const ROW_FIELDS = {
  NewMessageRow: fields<Omit<NewMessageRow, 'pos' & keyof NewMessageRow>>({
    id: true,
    senderId: true,
    receiverId: true,
    chatConstantId: true,
    groupId: true,
    message: true,
    readStatus: true,
    messageType: true,
    deletedId: true,
    created: true,
    updated: true,
    senderName: true,
    senderImage: true,
    recieverImage: true,
    recieverName: true,
    clientMessageId: true,
  }),
  HistoryRow: fields<HistoryRow>({
    id: true,
    senderId: true,
    receiverId: true,
    chatConstantId: true,
    groupId: true,
    message: true,
    readStatus: true,
    messageType: true,
    deletedId: true,
    created: true,
    updated: true,
    recieverName: true,
    image: true,
    senderName: true,
    senderImage: true,
    clientMessageId: true,
  }),
  ConversationRow: fields<ConversationRow>({
    id: true,
    senderId: true,
    receiverId: true,
    groupId: true,
    lastMessageId: true,
    deletedId: true,
    created: true,
    updated: true,
    user_id: true,
    lastMessage: true,
    userName: true,
    userImage: true,
    created_at: true,
    messageType: true,
    isOnline: true,
    unreadcount: true,
  }),
  ReadStatus: fields<Omit<ReadStatusPayload, 'pos' & keyof ReadStatusPayload>>({
    userId: true,
    user2Id: true,
    readStatus: true,
  }),
  Exception: fields<ExceptionPayload>({ status: true, message: true, event: true }),
};

/** The fields of the feed extension, documented beside the typed ones. */
const FEED_FIELDS: Record<string, string[]> = {
  NewMessageRow: ['pos'],
  ReadStatus: ['pos'],
};

function fields<T>(keys: Record<keyof T, true>): string[] {
  return Object.keys(keys);
}

/** Every `@SubscribeMessage('<event>')` in src/: the events the gateways serve. */
function subscribedEvents(): string[] {
  const events: string[] = [];
  for (const file of readdirSync(SRC, { recursive: true, encoding: 'utf8' })) {
    if (!file.endsWith('.ts') || file.endsWith('.spec.ts')) continue;
    const text = readFileSync(join(SRC, file), 'utf8');
    for (const match of text.matchAll(/@SubscribeMessage\(([^)]*)\)/g)) {
      const literal = /^\s*'([a-z_]+)'\s*$/.exec(match[1]);
      // A name this scan cannot read (a constant) would escape the check: refuse it.
      if (!literal)
        throw new Error(`${file}: @SubscribeMessage(${match[1]}) is not a string literal`);
      events.push(literal[1]);
    }
  }
  return events.sort();
}

async function parseDocument(): Promise<AsyncAPIDocumentInterface> {
  const text = readFileSync(join(ROOT, 'docs', 'asyncapi.yaml'), 'utf8');
  const { document, diagnostics } = await new Parser().parse(text);
  const errors = diagnostics
    .filter((d) => d.severity === DiagnosticSeverity.Error)
    .map((d) => `${d.code} at ${d.path.join('.')}: ${d.message}`);
  if (errors.length > 0 || !document) {
    throw new Error(`docs/asyncapi.yaml is not valid AsyncAPI:\n${errors.join('\n')}`);
  }
  return document;
}

function eventNames(document: AsyncAPIDocumentInterface, action: 'send' | 'receive'): string[] {
  const names = new Set<string>();
  for (const operation of document.operations().all()) {
    if (operation.action() !== action) continue;
    for (const message of operation.messages().all()) names.add(message.name()!);
  }
  return [...names].sort();
}

const without = (names: string[], pending: readonly string[]) =>
  names.filter((name) => !pending.includes(name));

describe('docs/asyncapi.yaml', () => {
  let document: AsyncAPIDocumentInterface;
  beforeAll(async () => {
    document = await parseDocument();
  });

  it('is a valid AsyncAPI 3 document (no error from the official parser)', () => {
    expect(document.version()).toMatch(/^3\./);
  });

  it('documents exactly the events the server sends (ServerToClientEvents)', () => {
    const documented = eventNames(document, 'send');
    expect(without(documented, DOCUMENTED_NOT_YET_IMPLEMENTED)).toEqual(
      Object.keys(SERVER_EVENTS).sort(),
    );
    expect(documented).toEqual(expect.arrayContaining(['sync_data']));
  });

  it('documents exactly the events the gateways serve (@SubscribeMessage)', () => {
    const documented = eventNames(document, 'receive');
    const served = subscribedEvents();
    expect(new Set(served).size).toBe(served.length);
    expect(without(documented, DOCUMENTED_NOT_YET_IMPLEMENTED)).toEqual(
      without(served, DOCUMENTED_NOT_YET_IMPLEMENTED),
    );
    expect(documented).toEqual(expect.arrayContaining(['sync']));
  });

  it('gives every request an answer event and the exception in its reply', () => {
    const sent = new Set(eventNames(document, 'send'));
    for (const operation of document.operations().all()) {
      if (operation.action() !== 'receive') continue;
      const replies =
        operation
          .reply()
          ?.messages()
          .all()
          .map((m) => m.name()) ?? [];
      expect({ operation: operation.id(), exception: replies.includes('exception') }).toEqual({
        operation: operation.id(),
        exception: true,
      });
      expect(replies.length).toBeGreaterThan(1);
      for (const reply of replies) expect(sent).toContain(reply);
    }
  });

  it('names the fields of each typed wire row exactly (legacy spellings included)', () => {
    const schemas = document.components().schemas();
    for (const [name, expected] of Object.entries(ROW_FIELDS)) {
      const schema = schemas.get(name);
      expect(schema).toBeDefined();
      const documented = Object.keys(schema!.properties() ?? {}).sort();
      expect({ name, fields: documented }).toEqual({
        name,
        fields: [...expected, ...(FEED_FIELDS[name] ?? [])].sort(),
      });
    }
  });
});
