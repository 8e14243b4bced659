import type { ArgumentMetadata } from '@nestjs/common';
import { LegacyPayloadPipe } from '../common/legacy-payload.pipe.js';
import { legacyValidationPipe } from '../common/legacy-validation.pipe.js';
import { loadConfig } from '../config/app-config.js';
import { sendMessageDtoClass } from './dto/send-message.dto.js';
import { SendMessagePipe } from './send-message.pipe.js';

/** The pipe as Nest builds it, with MESSAGE_MAX_LENGTH from the environment. */
function pipeWith(env: Record<string, string> = {}): SendMessagePipe {
  return new SendMessagePipe(loadConfig({ DATA_DIR: 'memory://', ...env }));
}

/** What the pipe's value reaches the gateway as (no metatype: SendMessageDto is a type there). */
const metadata: ArgumentMetadata = { type: 'body' };

/** What `@LegacyBody()` gives with `pipe`'s DTO: the value, or the refusal's text. */
async function common(pipe: SendMessagePipe, value: unknown): Promise<unknown> {
  try {
    return await legacyValidationPipe.transform(new LegacyPayloadPipe().transform(value), {
      type: 'body',
      metatype: pipe.dto,
    });
  } catch (error) {
    return { refused: (error as Error).message };
  }
}

async function fast(pipe: SendMessagePipe, value: unknown): Promise<unknown> {
  try {
    return await pipe.transform(value, metadata);
  } catch (error) {
    return { refused: (error as Error).message };
  }
}

const valid = { senderId: 1, receiverId: 2, messageType: 0, message: 'hello' };

function payloads(max: number): Array<[string, unknown]> {
  return [
    ['a plain text', valid],
    [
      'ids and type as strings, extra fields',
      { ...valid, senderId: '1', receiverId: '2', messageType: '1', extra: 'x', n: 5 },
    ],
    ['a text of exactly the limit', { ...valid, message: 'a'.repeat(max) }],
    ['a text over the limit', { ...valid, message: 'a'.repeat(max + 1) }],
    ['emoji up to the limit (2 UTF-16 units each)', { ...valid, message: '😀'.repeat(max) }],
    ['emoji over the limit', { ...valid, message: '😀'.repeat(max + 1) }],
    ['an unpaired surrogate', { ...valid, message: 'a\uD800b' }],
    ['a NUL character', { ...valid, message: 'a\u0000b' }],
    ['an empty text', { ...valid, message: '' }],
    ['a text that is not a string', { ...valid, message: 42 }],
    ['no text', { senderId: 1, receiverId: 2, messageType: 0 }],
    ['the same user twice', { ...valid, receiverId: '1' }],
    ['a bad id', { ...valid, senderId: '1e3' }],
    ['id zero', { ...valid, receiverId: 0 }],
    ['an id too large', { ...valid, receiverId: 2147483648 }],
    ['a fractional id', { ...valid, senderId: 1.5 }],
    ['an unknown type', { ...valid, messageType: 3 }],
    ['a type as a non-digit string', { ...valid, messageType: 'text' }],
    ['a JSON string of the payload', JSON.stringify(valid)],
    ['a JSON string that is not an object', '"hi"'],
    ['not JSON', '{nope'],
    ['null', null],
    ['an array', [valid]],
    ['a number', 7],
    ['a nested extra field', { ...valid, extra: { a: { b: 1 } } }],
    ['too deeply nested', { ...valid, extra: [[[[[[[[[1]]]]]]]]] }],
    [
      'too many fields',
      { ...valid, ...Object.fromEntries(Array.from({ length: 120 }, (_, i) => [`f${i}`, i])) },
    ],
    ['a clientMessageId', { ...valid, clientMessageId: 'c-1' }],
    ['a clientMessageId of 64 characters', { ...valid, clientMessageId: 'k'.repeat(64) }],
    ['a clientMessageId of 64 emoji', { ...valid, clientMessageId: '😀'.repeat(64) }],
    ['a clientMessageId of 65 characters', { ...valid, clientMessageId: 'k'.repeat(65) }],
    ['an empty clientMessageId', { ...valid, clientMessageId: '' }],
    ['a clientMessageId that is a number', { ...valid, clientMessageId: 5 }],
    ['a clientMessageId with NUL', { ...valid, clientMessageId: 'a\u0000' }],
    ['a clientMessageId with an unpaired surrogate', { ...valid, clientMessageId: '\uDC00' }],
    ['a null clientMessageId', { ...valid, clientMessageId: null }],
    [
      'a few more fields than the fast path takes',
      { ...valid, ...Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`f${i}`, i])) },
    ],
  ];
}

describe.each([
  ['the default MESSAGE_MAX_LENGTH', {}, 10_000],
  ['MESSAGE_MAX_LENGTH=5', { MESSAGE_MAX_LENGTH: '5' }, 5],
])('SendMessagePipe with %s', (_name, env, max) => {
  const pipe = pipeWith(env);

  it.each(payloads(max))('answers %s exactly as the common pipes do', async (_case, payload) => {
    const expected = await common(pipe, payload);
    const actual = await fast(pipe, payload);
    expect(actual).toEqual(expected);
    if (expected instanceof pipe.dto) expect(actual).toBeInstanceOf(pipe.dto);
  });

  it('refuses one character over the limit, in the common wording', async () => {
    expect(await fast(pipe, { ...valid, message: 'a'.repeat(max + 1) })).toEqual({
      refused: `message must be at most ${max} characters long`,
    });
    expect(await fast(pipe, { ...valid, message: '😀'.repeat(max + 1) })).toEqual({
      refused: `message must be at most ${max} characters long`,
    });
    expect(await fast(pipe, { ...valid, message: 'a'.repeat(max) })).toMatchObject({
      message: 'a'.repeat(max),
    });
  });
});

describe('SendMessagePipe', () => {
  const Dto = sendMessageDtoClass(10_000);

  it('takes a plainly valid payload without the common pipes', () => {
    const pipe = pipeWith();
    const result = pipe.transform(
      { ...valid, senderId: '7', receiverId: 8, messageType: '2', extra: true },
      metadata,
    );
    expect(result).toBeInstanceOf(pipe.dto);
    expect(result).toEqual(
      Object.assign(new Dto(), {
        senderId: 7,
        receiverId: 8,
        messageType: 2,
        message: 'hello',
      }),
    );
  });

  it('takes a valid clientMessageId on the fast path, and legacy payloads still without one', () => {
    const pipe = pipeWith();
    const keyed = pipe.transform({ ...valid, clientMessageId: 'abc' }, metadata);
    expect(keyed).toBeInstanceOf(pipe.dto);
    expect(keyed).toMatchObject({ clientMessageId: 'abc' });
    const legacy = pipe.transform(valid, metadata) as InstanceType<typeof pipe.dto>;
    expect(legacy).toBeInstanceOf(pipe.dto);
    expect(legacy.clientMessageId).toBeUndefined();
  });
});
