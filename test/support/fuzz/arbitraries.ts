// fast-check generators of client requests for the fuzz spec: every event the
// contract names (valid, mutated and random payloads) and unknown events.
import fc from 'fast-check';

/** Users that exist. A and B have sockets of their own; 3 and 4 only receive. */
export const USER_A = 1;
export const USER_B = 2;
export const EXISTING_USERS = [USER_A, USER_B, 3, 4];
/** Ids that name nobody (5 is the next one an admin would create). */
export const MISSING_USERS = [5, 999, 2_147_483_647];
/**
 * The observer: exists and is connected, but no generated request ever names
 * it (filtered on the payload's text, which catches "0424242", 424242.0 ...).
 */
export const OBSERVER = 424_242;

export const KNOWN_EVENTS = [
  'connect_user',
  'send_message',
  'get_message',
  'chat_listing',
  'block_user',
  'delete_chat',
  'report_user',
  'read_unread',
  'sync',
  'register_device',
] as const;
export type KnownEvent = (typeof KNOWN_EVENTS)[number];

/** Which socket a case runs on: bound to A, bound to B, or not bound to anyone. */
export type Slot = 'a' | 'b' | 'unbound';

export interface FuzzCase {
  slot: Slot;
  event: string;
  known: boolean;
  /** What follows the event name in emit(), the ack excluded (may be empty). */
  args: unknown[];
  ack: boolean;
  /** How the case was made: valid, mutated (and how), random, unknown. */
  kind: string;
}

// ---- adversarial values

const LONE_HIGH = '\uD83D';
const LONE_LOW = '\uDE42';
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Strings that have broken parsers, validators, databases and renderers. */
const NASTY_STRINGS = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  LONE_HIGH,
  LONE_LOW,
  `x${LONE_HIGH}y`,
  `${LONE_LOW}${LONE_HIGH}`,
  '\u202Eevil\u202C',
  'مرحبا بالعالم',
  'שלום\u200F',
  '🙂',
  '👩🏽‍💻👨‍👩‍👧‍👦',
  'e\u0301\u0301\u0301',
  '\uFEFF',
  '\uFFFF\uFFFE',
  '\u2028\u2029',
  '\r\n\t\b\f\v',
  "'; DROP TABLE messages; --",
  "' OR '1'='1",
  '1; SELECT pg_sleep(10)',
  '$$; DROP TABLE users; $$',
  '{"$gt":""}',
  '{"__proto__":{"polluted":true}}',
  '<script>alert(1)</script>',
  '<img src=x onerror=alert(1)>',
  '${7*7}{{7*7}}',
  '%s%s%s%n',
  '../../../../etc/passwd',
  '\\',
  '"',
  'null',
  'undefined',
  'NaN',
  'Infinity',
  '-Infinity',
  'true',
  '[]',
  '{}',
];

/** Number-like strings: none is a valid id except plain digit strings of existing users. */
const NUMBERISH_STRINGS = [
  '0',
  '-1',
  '+1',
  '1e3',
  '1E0',
  '012',
  '0001',
  '00',
  '1.0',
  '1.5',
  '0x1',
  '0b1',
  '0o1',
  '1_000',
  ' 1',
  '1 ',
  '\t2',
  '1\n',
  '١',
  '１',
  '²',
  '2147483647',
  '2147483648',
  '4294967297',
  '9007199254740993',
  '99999999999999999999',
  '-0',
  'NaN',
  'Infinity',
];

const NUMBERS = [
  0,
  -0,
  -1,
  1.5,
  0.1,
  -2_147_483_648,
  2_147_483_647,
  2_147_483_648,
  4_294_967_296,
  2 ** 53,
  2 ** 53 + 2,
  Number.MAX_SAFE_INTEGER,
  Number.MAX_VALUE,
  Number.MIN_VALUE,
  1e309, // Infinity: JSON turns it into null
  -1e309,
  NaN, // null on the wire
  1e-7,
];

/** A value nested `depth` levels deep, objects or arrays. */
function nested(depth: number, arrays: boolean): unknown {
  let value: unknown = arrays ? [1] : { leaf: 1 };
  for (let i = 0; i < depth; i++) value = arrays ? [value] : { a: value };
  return value;
}

/** An object with an own key such as __proto__ (an object literal would set the prototype). */
export function withOwnKey(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

const DANGEROUS_KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'valueOf',
  'hasOwnProperty',
];

const pollutionValue = fc.constantFrom<unknown>(
  { polluted: 'yes' },
  { prototype: { polluted: 'yes' } },
  { toString: 'not a function' },
  'polluted',
  null,
  [{ polluted: 'yes' }],
);

/** An object whose own keys include __proto__ / constructor / prototype. */
const pollutingObject: fc.Arbitrary<Record<string, unknown>> = fc
  .tuple(
    fc.subarray(DANGEROUS_KEYS, { minLength: 1 }),
    fc.array(pollutionValue, { minLength: 6, maxLength: 6 }),
  )
  .map(([keys, values]) => {
    const target: Record<string, unknown> = {};
    keys.forEach((key, i) => withOwnKey(target, key, values[i]));
    return target;
  });

const hugeValue = fc.constantFrom<() => unknown>(
  () => 'x'.repeat(1_000_000),
  () => '🙂'.repeat(100_000),
  () => Array.from({ length: 20_000 }, (_, i) => i),
  () => Object.fromEntries(Array.from({ length: 5_000 }, (_, i) => [`k${i}`, i])),
  () => '9'.repeat(100_000),
);

/**
 * Nested values, as objects and arrays. At most 2,000 levels: from ~2,500 the
 * test's own clients overflow their stack encoding them (socket.io-client v4
 * throws, v2 sends an "encode error" packet); deeper nesting travels as the
 * JSON strings of randomArgs, which no client walks.
 */
const deepValue = fc
  .tuple(fc.integer({ min: 9, max: 2_000 }), fc.boolean())
  .map(([depth, arrays]) => nested(depth, arrays));

/** Values any field may be replaced by. */
export const badValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom<unknown>(...NASTY_STRINGS) },
  { weight: 4, arbitrary: fc.constantFrom<unknown>(...NUMBERISH_STRINGS) },
  { weight: 4, arbitrary: fc.constantFrom<unknown>(...NUMBERS) },
  {
    weight: 2,
    arbitrary: fc.constantFrom<unknown>(null, true, false, [], {}, [USER_A], { id: USER_A }),
  },
  { weight: 2, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.double() },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: pollutingObject },
  { weight: 1, arbitrary: deepValue },
  { weight: 1, arbitrary: fc.constant(Buffer.from('{"userId":1}')) },
  { weight: 1, arbitrary: hugeValue.map((make) => make()) },
);

// ---- valid requests

/** An id as the apps send it: number, digit string, or digit string with leading zeros. */
function idForm(id: number): fc.Arbitrary<number | string> {
  return fc.constantFrom<number | string>(id, String(id), `00${id}`);
}

function flagForm(values: number[]): fc.Arbitrary<number | string> {
  return fc
    .constantFrom(...values)
    .chain((value) => fc.constantFrom<number | string>(value, String(value)));
}

/** Texts a message or comment may hold, unusual ones included. */
const validText: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 60 }) },
  {
    weight: 2,
    arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 60 }).filter(isStorableText),
  },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      ...NASTY_STRINGS.filter((text) => text.trim() !== '' && isStorableText(text)),
    ),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom('🙂'.repeat(10_000), 'x'.repeat(9_999), 'ß'.repeat(10_000)),
  },
);

/** What Postgres text stores unchanged: no NUL, no unpaired surrogate. */
function isStorableText(text: string): boolean {
  return text.length > 0 && !text.includes('\u0000') && !LONE_SURROGATE.test(text);
}

/** A valid payload of `event` acting as `actor` (towards another existing user). */
function validPayload(event: KnownEvent, actor: number): fc.Arbitrary<Record<string, unknown>> {
  const peer = fc.constantFrom(...EXISTING_USERS.filter((id) => id !== actor)).chain(idForm);
  const me = idForm(actor);
  switch (event) {
    case 'connect_user':
      return fc.record({ userId: me });
    case 'send_message':
      return fc.record({
        senderId: me,
        receiverId: peer,
        messageType: flagForm([0, 1, 2]),
        message: validText,
      });
    case 'get_message':
      return fc.record(
        {
          senderId: me,
          receiverId: peer,
          limit: fc.oneof(fc.integer({ min: 1, max: 500 }), fc.constantFrom('1', '50', '500')),
          beforeId: fc.integer({ min: 1, max: 2_147_483_647 }).chain(idForm),
        },
        { requiredKeys: ['senderId', 'receiverId'] },
      );
    case 'chat_listing':
      return fc.record({ userId: me });
    case 'block_user':
      // Mostly unblocking, so that sends keep being stored.
      return fc.record({
        userId: me,
        user2Id: peer,
        status: fc.oneof(
          { weight: 3, arbitrary: flagForm([0]) },
          { weight: 1, arbitrary: flagForm([1]) },
        ),
      });
    case 'delete_chat':
      return fc.record({ senderId: me, receiverId: peer });
    case 'report_user':
      return fc.record(
        { userId: me, user2Id: peer, comment: fc.oneof(validText, fc.constant('')) },
        { requiredKeys: ['userId', 'user2Id'] },
      );
    case 'read_unread':
      return fc.record({ userId: me, user2Id: peer });
    case 'sync':
      return fc.record(
        {
          userId: me,
          since: fc.oneof(fc.nat({ max: 1000 }), fc.constantFrom('0', '5', '999999')),
          limit: fc.oneof(fc.integer({ min: 1, max: 500 }), fc.constantFrom('1', '100', '500')),
        },
        { requiredKeys: ['userId', 'since'] },
      );
    case 'register_device':
      return fc.record({
        userId: me,
        token: fc.stringMatching(/^[A-Za-z0-9_:-]{1,200}$/),
        platform: fc.constantFrom('android', 'ios', 'web'),
      });
  }
}

// ---- mutations of a valid payload

type Mutation = (
  payload: Record<string, unknown>,
) => fc.Arbitrary<[Record<string, unknown>, string]>;

/** Every field name of the contract's events. */
const FIELDS = [
  'userId',
  'user2Id',
  'senderId',
  'receiverId',
  'message',
  'messageType',
  'status',
  'limit',
  'beforeId',
  'comment',
  'since',
  'token',
  'platform',
];

/** A field of the payload, mostly, or any field of the contract (maybe absent here). */
const fieldOf = (payload: Record<string, unknown>) =>
  Object.keys(payload).length === 0
    ? fc.constantFrom(...FIELDS)
    : fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom(...Object.keys(payload)) },
        { weight: 1, arbitrary: fc.constantFrom(...FIELDS) },
      );

const MUTATIONS: Mutation[] = [
  // a field's value replaced by a hostile one
  (payload) =>
    fc.tuple(fieldOf(payload), badValue).map(([field, value]) => {
      const copy = { ...payload };
      withOwnKey(copy, field, value);
      return [copy, `${field}=bad`];
    }),
  // a field missing
  (payload) =>
    fieldOf(payload).map((field) => {
      const copy = { ...payload };
      delete copy[field];
      return [copy, `no ${field}`];
    }),
  // an id field naming someone else (another user, a missing one), or the actor on both sides
  (payload) =>
    fc
      .tuple(fieldOf(payload), fc.constantFrom(...EXISTING_USERS, ...MISSING_USERS).chain(idForm))
      .map(([field, id]) => [{ ...payload, [field]: id }, `${field}=${JSON.stringify(id)}`]),
  // extra keys, prototype-polluting ones included
  (payload) =>
    fc
      .tuple(pollutingObject, fc.dictionary(fc.string({ maxLength: 8 }), badValue, { maxKeys: 3 }))
      .map(([polluting, extra]) => {
        const copy = { ...payload };
        for (const [key, value] of Object.entries(extra)) withOwnKey(copy, key, value);
        for (const key of Object.keys(polluting)) withOwnKey(copy, key, polluting[key]);
        return [copy, `extra keys ${Object.keys(polluting).join(',')}`];
      }),
];

const mutated = (payload: Record<string, unknown>) =>
  fc
    .array(fc.constantFrom(...MUTATIONS), { minLength: 1, maxLength: 3 })
    .chain((mutations) =>
      mutations.reduce<fc.Arbitrary<[Record<string, unknown>, string]>>(
        (acc, mutation) =>
          acc.chain(([current, label]) =>
            mutation(current).map(([next, what]): [Record<string, unknown>, string] => [
              next,
              label ? `${label}; ${what}` : what,
            ]),
          ),
        fc.constant([payload, '']),
      ),
    );

// ---- payload shapes (what goes after the event name)

/** The payload as an object, as a JSON string of it (a legacy form), or wrapped wrongly. */
function shaped(
  payload: Record<string, unknown>,
  label: string,
): fc.Arbitrary<[unknown[], string]> {
  return fc.oneof(
    { weight: 8, arbitrary: fc.constant<[unknown[], string]>([[payload], label]) },
    {
      weight: 3,
      arbitrary: fc.constant<[unknown[], string]>([
        [JSON.stringify(payload)],
        `${label} (JSON string)`,
      ]),
    },
    {
      weight: 1,
      arbitrary: fc.constant<[unknown[], string]>([[[payload]], `${label} (in an array)`]),
    },
    {
      weight: 1,
      arbitrary: badValue.map((extra): [unknown[], string] => [
        [payload, extra],
        `${label} (+ an extra argument)`,
      ]),
    },
    {
      weight: 1,
      arbitrary: fc.constant<[unknown[], string]>([
        [`${JSON.stringify(payload)}x`],
        `${label} (broken JSON string)`,
      ]),
    },
  );
}

/** Payloads unrelated to the event's fields. */
const randomArgs: fc.Arbitrary<[unknown[], string]> = fc.oneof(
  { weight: 1, arbitrary: fc.constant<[unknown[], string]>([[], 'no payload']) },
  { weight: 4, arbitrary: badValue.map((value): [unknown[], string] => [[value], 'random value']) },
  {
    weight: 2,
    arbitrary: fc
      .jsonValue({ maxDepth: 4 })
      .map((value): [unknown[], string] => [[JSON.stringify(value)], 'random JSON string']),
  },
  {
    weight: 2,
    arbitrary: fc
      .anything({
        maxDepth: 3,
        maxKeys: 6,
        withNullPrototype: true,
        withBoxedValues: true,
        withMap: true,
        withSet: true,
        withSparseArray: true,
      })
      .map((value): [unknown[], string] => [[value], 'random object']),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom<[unknown[], string]>(
      [['['.repeat(100_000) + ']'.repeat(100_000)], 'deep JSON array string'],
      [['{"a":'.repeat(50_000) + '1' + '}'.repeat(50_000)], 'deep JSON object string'],
    ),
  },
);

// ---- unknown events

/** Reserved by Socket.IO: the client refuses to emit them. */
const RESERVED = new Set([
  'connect',
  'connect_error',
  'disconnect',
  'disconnecting',
  'newListener',
  'removeListener',
]);
const KNOWN = new Set<string>(KNOWN_EVENTS);

const unknownEventName: fc.Arbitrary<string> = fc
  .oneof(
    fc.constantFrom(
      'send_message ',
      ' send_message',
      'SEND_MESSAGE',
      'Send_Message',
      'send-message',
      'sendMessage',
      'connect_user\u0000',
      'get_messages',
      'chat_listings',
      'sync',
      'register_devices',
      '__proto__',
      'constructor',
      'prototype',
      'toString',
      'hasOwnProperty',
      'exception',
      'new_message',
      'connect_listener',
      'message',
      'error',
      'ping',
      '',
      '🙂',
      LONE_HIGH,
      'x'.repeat(10_000),
    ),
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }),
    fc.string({ unit: 'binary', maxLength: 30 }),
  )
  .filter((name) => !RESERVED.has(name) && !KNOWN.has(name));

// ---- whole cases

const slot: fc.Arbitrary<Slot> = fc.oneof(
  { weight: 9, arbitrary: fc.constant<Slot>('a') },
  { weight: 7, arbitrary: fc.constant<Slot>('b') },
  { weight: 4, arbitrary: fc.constant<Slot>('unbound') },
);

const ACTOR: Record<Slot, fc.Arbitrary<number>> = {
  a: fc.constant(USER_A),
  b: fc.constant(USER_B),
  // An unbound socket's valid connect_user may bind any existing user.
  unbound: fc.constantFrom(...EXISTING_USERS),
};

function knownCase(where: Slot): fc.Arbitrary<Omit<FuzzCase, 'ack'>> {
  return fc.tuple(fc.constantFrom(...KNOWN_EVENTS), ACTOR[where]).chain(([event, actor]) =>
    fc
      .oneof(
        {
          weight: 5,
          arbitrary: validPayload(event, actor).chain((payload) => shaped(payload, 'valid')),
        },
        {
          weight: 9,
          arbitrary: validPayload(event, actor)
            .chain(mutated)
            .chain(([payload, label]) => shaped(payload, `mutated: ${label}`)),
        },
        { weight: 4, arbitrary: randomArgs },
      )
      .map(([args, kind]) => ({ slot: where, event, known: true, args, kind })),
  );
}

const unknownCase = (where: Slot): fc.Arbitrary<Omit<FuzzCase, 'ack'>> =>
  fc
    .tuple(
      unknownEventName,
      fc.oneof(
        randomArgs,
        validPayload('send_message', USER_A).chain((p) => shaped(p, 'valid-looking')),
      ),
    )
    .map(([event, [args, kind]]) => ({
      slot: where,
      event,
      known: false,
      args,
      kind: `unknown event, ${kind}`,
    }));

/** Whether anything in the case names the observer (such cases are never generated). */
export function namesObserver(fuzzCase: Pick<FuzzCase, 'args' | 'event'>): boolean {
  const text = `${fuzzCase.event} ${safeJson(fuzzCase.args)}`;
  return text.includes(String(OBSERVER));
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? '';
  } catch {
    return String(value);
  }
}

/** One request of the fuzz: ~10 % unknown events, the rest spread over the contract's events. */
export const fuzzCase: fc.Arbitrary<FuzzCase> = slot
  .chain((where) =>
    fc.tuple(
      fc.oneof(
        { weight: 9, arbitrary: knownCase(where) },
        { weight: 1, arbitrary: unknownCase(where) },
      ),
      fc.oneof(
        { weight: 7, arbitrary: fc.constant(false) },
        { weight: 3, arbitrary: fc.constant(true) },
      ),
    ),
  )
  .map(([base, ack]) => ({ ...base, ack }))
  .filter((fuzzCase) => !namesObserver(fuzzCase))
  .map((fuzzCase) =>
    Object.assign(fuzzCase, { [fc.toStringMethod]: () => describeCase(fuzzCase) }),
  );

/** A short, printable description (a case may hold megabytes). */
export function describeCase(fuzzCase: FuzzCase): string {
  const args = fuzzCase.args.map((arg) => {
    const text = typeof arg === 'string' ? JSON.stringify(arg) : safeJson(arg) || String(arg);
    return text.length > 200 ? `${text.slice(0, 200)}… (${text.length} chars)` : text;
  });
  return `${fuzzCase.slot} socket: emit(${JSON.stringify(fuzzCase.event.slice(0, 40))}${args.map((a) => `, ${a}`).join('')}${fuzzCase.ack ? ', ack' : ''}) [${fuzzCase.kind}]`;
}
