// Steady send_message traffic for the fault specs, and what they count: every
// pair sends a uniquely numbered text at a fixed pace; each send's answer (row
// or refusal) and its live delivery to the receiver are recorded, then checked
// against what the database holds.
import pg from 'pg';
import { sleep, type TestSocket } from './sockets.js';

/** One sender socket talking to one receiver socket. */
export interface Pair {
  index: number;
  sender: TestSocket;
  receiver: TestSocket;
  senderId: number;
  receiverId: number;
}

export interface Sent {
  pair: number;
  sentAt: number;
  answeredAt?: number;
  /** The stored row's id, when the ack carried a row. */
  id?: number;
  /** The answer when it was not a row (a refusal or an exception), as JSON. */
  refusal?: string;
  /** When the receiver got it live. */
  receivedAt?: number;
}

export interface SteadySends {
  /** By message text. */
  sent: Map<string, Sent>;
  stop(): void;
  /** Waits until every send is answered, or `boundMs` passes. */
  settled(boundMs: number): Promise<void>;
}

/** Every pair sends a message every `everyMs` until stopped; texts are unique. */
export function steadySends(pairs: Pair[], everyMs: number): SteadySends {
  const sent = new Map<string, Sent>();
  for (const pair of pairs) {
    pair.receiver.on('new_message', (row: { message?: string; senderId?: number }) => {
      const entry = row.message === undefined ? undefined : sent.get(row.message);
      if (entry && row.senderId === pair.senderId) entry.receivedAt ??= Date.now();
    });
  }
  let counter = 0;
  const timers = pairs.map((pair) =>
    setInterval(() => {
      const text = `p${pair.index}-${counter++}`;
      const entry: Sent = { pair: pair.index, sentAt: Date.now() };
      sent.set(text, entry);
      pair.sender.emit(
        'send_message',
        { senderId: pair.senderId, receiverId: pair.receiverId, messageType: 0, message: text },
        (answer: { id?: number }) => {
          entry.answeredAt = Date.now();
          if (typeof answer?.id === 'number') entry.id = answer.id;
          else entry.refusal = JSON.stringify(answer);
        },
      );
    }, everyMs),
  );
  return {
    sent,
    stop: () => timers.forEach(clearInterval),
    async settled(boundMs) {
      const deadline = Date.now() + boundMs;
      while ([...sent.values()].some((s) => s.answeredAt === undefined) && Date.now() < deadline) {
        await sleep(100);
      }
    },
  };
}

/** Every stored message's id and text, read straight from the database. */
export async function storedMessages(
  databaseUrl: string,
): Promise<Array<{ id: number; message: string }>> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query<{ id: number; message: string }>('SELECT id, message FROM messages'))
      .rows;
  } finally {
    await client.end();
  }
}

export interface FaultCounts {
  sent: number;
  acked: number;
  refused: number;
  /** Acked with a row that the database does not hold. */
  ackedLost: number;
  /** Texts stored more than once. */
  duplicates: number;
  /** Neither a row nor a refusal came back. */
  unanswered: number;
}

/** What a fault spec prints and asserts, from the sends and the database. */
export async function countFaults(load: SteadySends, databaseUrl: string): Promise<FaultCounts> {
  const entries = [...load.sent.values()];
  const stored = await storedMessages(databaseUrl);
  const storedIds = new Set(stored.map((row) => Number(row.id)));
  const texts = new Map<string, number>();
  for (const row of stored) texts.set(row.message, (texts.get(row.message) ?? 0) + 1);
  const acked = entries.filter((s) => s.id !== undefined);
  return {
    sent: entries.length,
    acked: acked.length,
    refused: entries.filter((s) => s.refusal !== undefined).length,
    ackedLost: acked.filter((s) => !storedIds.has(s.id!)).length,
    duplicates: [...texts.values()].filter((n) => n > 1).length,
    unanswered: entries.filter((s) => s.answeredAt === undefined).length,
  };
}
