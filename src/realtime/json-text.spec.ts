import { Decoder, Encoder, Packet, PacketType } from 'socket.io-parser';
import { ChatPacketEncoder, JsonText } from './json-text.js';

const rows = [
  { id: 1, message: 'héllo 👋 "quoted" \\ back\nnew line', userImage: '' },
  { id: 2, message: '', userImage: 'https://cdn.example/a.png' },
];

function decode(encoded: Array<string | Buffer>): Packet {
  const decoder = new Decoder();
  let decoded: Packet | undefined;
  decoder.on('decoded', (packet: Packet) => (decoded = packet));
  for (const part of encoded) decoder.add(part);
  return decoded!;
}

describe('ChatPacketEncoder', () => {
  const encoder = new ChatPacketEncoder();
  const standard = new Encoder();

  it.each<[string, Packet]>([
    ['an event', { type: PacketType.EVENT, nsp: '/', data: ['chat_message', rows] }],
    ['an event with an ack id', { type: PacketType.EVENT, nsp: '/', id: 7, data: ['x', rows] }],
    ['an ack', { type: PacketType.ACK, nsp: '/', id: 12, data: [rows] }],
    ['an event in a namespace', { type: PacketType.EVENT, nsp: '/chat', data: ['x', rows, 3] }],
    ['an empty list', { type: PacketType.EVENT, nsp: '/', data: ['get_data_message', []] }],
  ])('writes %s with a JsonText argument exactly as socket.io writes the value', (_, packet) => {
    const data = packet.data as unknown[];
    const withText = {
      ...packet,
      data: data.map((arg) => (Array.isArray(arg) ? new JsonText(JSON.stringify(arg)) : arg)),
    };
    const encoded = encoder.encode(withText);
    expect(encoded).toEqual(standard.encode(packet));
    expect(decode(encoded)).toEqual(packet);
  });

  it('writes undefined arguments as null, as JSON.stringify does in an array', () => {
    const packet = { type: PacketType.ACK, nsp: '/', id: 1, data: [undefined, new JsonText('[]')] };
    expect(encoder.encode(packet)).toEqual(['31[null,[]]']);
  });

  it('leaves packets without JsonText to socket.io, binary attachments included', () => {
    const binary = { type: PacketType.EVENT, nsp: '/', data: ['file', Buffer.from([1, 2, 3])] };
    expect(encoder.encode(binary)).toEqual(standard.encode(binary));
    const plain = { type: PacketType.CONNECT, nsp: '/', data: { sid: 'abc' } };
    expect(encoder.encode(plain)).toEqual(standard.encode(plain));
  });

  it('JsonText decodes to its value, and other serializers see the value', () => {
    const text = new JsonText<typeof rows>(JSON.stringify(rows));
    expect(text.value()).toEqual(rows);
    expect(JSON.stringify({ rows: text })).toBe(JSON.stringify({ rows }));
  });
});
