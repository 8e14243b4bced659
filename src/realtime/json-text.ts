import * as socketIoParser from 'socket.io-parser';

/**
 * A value already encoded as JSON (by Postgres, for the big read answers),
 * which the socket.io encoder below sends as it is: no JSON.stringify, no
 * binary scan, no JavaScript object per row. Typed by the value it encodes.
 * `toJSON` keeps any other serializer correct, only slower.
 */
export class JsonText<T> {
  constructor(readonly text: string) {}

  /** The decoded value (for tests and the odd caller that needs the rows). */
  value(): T {
    return JSON.parse(this.text) as T;
  }

  toJSON(): T {
    return this.value();
  }
}

/**
 * socket.io's packet encoder, except that an event or ack whose arguments
 * include a JsonText is written by concatenation. The packet text is the one
 * socket.io-parser writes (`<type>[<nsp>,][<id>][args...]`), so every client
 * version reads it unchanged; JsonText values never carry binary attachments.
 */
export class ChatPacketEncoder extends socketIoParser.Encoder {
  override encode(packet: socketIoParser.Packet): Array<string | Buffer> {
    const args: unknown = packet.data;
    if (Array.isArray(args) && args.some((arg) => arg instanceof JsonText)) {
      return [encodeWithJsonText(packet, args)];
    }
    return super.encode(packet) as Array<string | Buffer>;
  }
}

function encodeWithJsonText(packet: socketIoParser.Packet, args: unknown[]): string {
  let text = String(packet.type);
  if (packet.nsp && packet.nsp !== '/') text += `${packet.nsp},`;
  if (packet.id !== undefined && packet.id !== null) text += String(packet.id);
  const encoded = args.map((arg) =>
    arg instanceof JsonText ? arg.text : (JSON.stringify(arg) ?? 'null'),
  );
  return `${text}[${encoded.join(',')}]`;
}

/** The `parser` option for the socket.io server: the standard decoder, ChatPacketEncoder. */
export const chatPacketParser = { ...socketIoParser, Encoder: ChatPacketEncoder };
