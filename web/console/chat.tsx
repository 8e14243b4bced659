import { useEffect, useRef, useState } from 'preact/hooks';
import { io, type Socket } from 'socket.io-client';
import type { Api, ChatIdentity, ConsoleSettings } from './api';

/** A message row as new_message and get_data_message carry it (PROTOCOL.md "Rows"). */
interface Row {
  id: number;
  senderId: number;
  receiverId: number;
  message: string;
  readStatus: number;
  messageType: number;
  created: number;
}

interface Line {
  key: string;
  kind: 'info' | 'error';
  text: string;
}

type Status = 'signed-out' | 'connecting' | 'online' | 'disconnected';

let lineCount = 0;

/**
 * One phone: a Socket.IO connection bound to `userId` that chats with
 * `partnerId`, speaking the apps' protocol (connect_user, get_message,
 * send_message, read_unread, block_user, delete_chat, report_user).
 */
export function ChatPane(props: {
  side: 'left' | 'right';
  api: Api;
  settings: ConsoleSettings;
  userId: number;
  partnerId: number;
  /** The partner's name, once the other phone connected as them. */
  partnerName?: string;
  onUserId: (id: number) => void;
  onIdentity: (identity: ChatIdentity) => void;
}) {
  const { side, api, settings, userId, partnerId } = props;
  const [status, setStatus] = useState<Status>('signed-out');
  const [statusText, setStatusText] = useState('not connected');
  const [me, setMe] = useState<ChatIdentity | null>(null);
  const [rows, setRows] = useState<Row[]>([]);
  const [lines, setLines] = useState<Line[]>([]);
  const [draft, setDraft] = useState('');
  const [blocking, setBlocking] = useState(false);
  const [transport, setTransport] = useState('');
  const socketRef = useRef<Socket | null>(null);
  /** The user the socket binds (fixed at connect; the input may change meanwhile). */
  const boundRef = useRef(userId);
  const partnerRef = useRef(partnerId);
  partnerRef.current = partnerId;
  const listRef = useRef<HTMLDivElement>(null);

  const say = (kind: Line['kind'], text: string) =>
    setLines((old) => [...old.slice(-5), { key: String(++lineCount), kind, text }]);

  /** Bumped by each connect and disconnect: a connect still waiting for its token gives up. */
  const attemptRef = useRef(0);

  const disconnect = () => {
    attemptRef.current += 1;
    socketRef.current?.close();
    socketRef.current = null;
  };

  useEffect(() => disconnect, []);

  // The partner changed (the other pane switched user): load that conversation.
  useEffect(() => {
    setRows([]);
    const socket = socketRef.current;
    if (socket && status === 'online') loadHistory(socket);
  }, [partnerId]);

  useEffect(() => {
    listRef.current?.scrollTo(0, listRef.current.scrollHeight);
  }, [rows]);

  const loadHistory = (socket: Socket) => {
    socket.emit('get_message', {
      senderId: boundRef.current,
      receiverId: partnerRef.current,
      limit: 50,
    });
  };

  const connect = async () => {
    disconnect();
    const attempt = attemptRef.current;
    setRows([]);
    setLines([]);
    setStatus('connecting');
    setStatusText('connecting…');
    let identity: ChatIdentity;
    try {
      identity = await api.post<ChatIdentity>('/admin/console/chat-token', { userId });
    } catch (error) {
      if (attempt !== attemptRef.current) return;
      setStatus('disconnected');
      setStatusText(`not connected: ${(error as Error).message}`);
      return;
    }
    if (attempt !== attemptRef.current) return; // Disconnect was pressed meanwhile.
    setMe(identity);
    props.onIdentity(identity);
    boundRef.current = identity.userId;
    const socket = io(location.origin, {
      path: settings.socketPath,
      auth: identity.token ? { token: identity.token } : {},
      reconnection: false,
    });
    socketRef.current = socket;
    const self = identity.userId;
    const isOurs = (row: Row) =>
      (row.senderId === self && row.receiverId === partnerRef.current) ||
      (row.senderId === partnerRef.current && row.receiverId === self);

    socket.on('connect', () => {
      setTransport(socket.io.engine.transport.name);
      socket.io.engine.on('upgrade', () => setTransport(socket.io.engine.transport.name));
      socket.emit('connect_user', { userId: self });
    });
    socket.on('connect_listener', () => {
      setStatus('online');
      setStatusText('online');
      loadHistory(socket);
    });
    socket.on('get_data_message', (history: Row[]) => {
      if (Array.isArray(history)) setRows(history.filter(isOurs));
    });
    socket.on('new_message', (row: Row & { success_message?: string }) => {
      if (row.success_message) return say('error', row.success_message);
      if (!isOurs(row)) return;
      setRows((old) => (old.some((known) => known.id === row.id) ? old : [...old, row]));
      // The conversation is open on this phone: what arrives is read at once.
      if (row.senderId === partnerRef.current) {
        socket.emit('read_unread', { userId: self, user2Id: partnerRef.current });
      }
    });
    socket.on('read_status', (mark: { userId: number; user2Id: number }) => {
      // mark.userId read mark.user2Id's messages.
      setRows((old) =>
        old.map((row) =>
          row.senderId === mark.user2Id && row.receiverId === mark.userId
            ? { ...row, readStatus: 1 }
            : row,
        ),
      );
    });
    socket.on('block_data', (data: { block_data: string; userId: string }) => {
      const blocked = data.block_data === '1';
      if (data.userId === String(self)) setBlocking(blocked);
      say('info', `user ${data.userId} ${blocked ? 'blocked' : 'unblocked'} the other`);
    });
    socket.on('cleared_chat', () => {
      setRows([]);
      say('info', 'chat cleared on this phone');
    });
    socket.on('report_data', (data: { success_message: string }) =>
      say('info', data.success_message),
    );
    socket.on('exception', (error: { message: string; event?: string }) =>
      say('error', error.event ? `${error.event}: ${error.message}` : error.message),
    );
    socket.on('connect_error', (error: Error) => {
      setStatus('disconnected');
      setStatusText(`refused: ${error.message}`);
    });
    socket.on('disconnect', (reason: string) => {
      setStatus('disconnected');
      setStatusText(
        reason === 'io server disconnect'
          ? 'disconnected by the server'
          : reason === 'io client disconnect'
            ? 'disconnected'
            : `disconnected (${reason})`,
      );
    });
  };

  /** The Disconnect button: also ends a connect still waiting for its token. */
  const hangUp = () => {
    disconnect();
    setStatus('disconnected');
    setStatusText('disconnected');
  };

  const send = (event: Event) => {
    event.preventDefault();
    const text = draft.trim();
    const socket = socketRef.current;
    if (!text || !socket || status !== 'online') return;
    socket.emit('send_message', {
      senderId: me?.userId ?? userId,
      receiverId: partnerId,
      messageType: 0,
      message: text,
      clientMessageId: `console-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`,
    });
    setDraft('');
  };

  const emit = (event: string, payload: object) => socketRef.current?.emit(event, payload);
  const online = status === 'online';
  // The user this phone is bound to (the input may since name another, not yet connected).
  const self = me?.userId ?? userId;

  return (
    <section class={`phone ${status}`} data-test={`pane-${side}`}>
      <header class="phone-head">
        <form
          class="who"
          onSubmit={(event) => {
            event.preventDefault();
            void connect();
          }}
        >
          <label>
            user
            <input
              type="number"
              min={1}
              value={userId}
              data-test="user-id"
              onInput={(event) => props.onUserId(Number(event.currentTarget.value))}
            />
          </label>
          {online || status === 'connecting' ? (
            <button type="button" onClick={hangUp} data-test="disconnect">
              Disconnect
            </button>
          ) : (
            <button type="submit" data-test="connect">
              Connect
            </button>
          )}
        </form>
        <div class="status-line">
          <span class={`dot ${status}`} />
          <span data-test="status">{statusText}</span>
          {online && transport ? (
            <span class="muted" data-test="transport">
              {' '}
              · {transport}
            </span>
          ) : null}
        </div>
        <div class="names">
          {me ? <strong>{me.name}</strong> : <span class="muted">—</span>}
          <span class="muted">
            {' '}
            → {props.partnerName ?? 'user'} #{partnerId}
          </span>
        </div>
        <div class="actions">
          <button
            type="button"
            disabled={!online}
            data-test="block"
            onClick={() =>
              emit('block_user', { userId: self, user2Id: partnerId, status: blocking ? 0 : 1 })
            }
          >
            {blocking ? 'Unblock' : 'Block'}
          </button>
          <button
            type="button"
            disabled={!online}
            data-test="clear"
            onClick={() => emit('delete_chat', { senderId: self, receiverId: partnerId })}
          >
            Clear
          </button>
          <button
            type="button"
            disabled={!online}
            data-test="report"
            onClick={() =>
              emit('report_user', {
                userId: self,
                user2Id: partnerId,
                comment: 'reported from the console',
              })
            }
          >
            Report
          </button>
        </div>
      </header>
      <div class="messages" ref={listRef} data-test="messages">
        {rows.length === 0 ? <p class="empty muted">no messages</p> : null}
        {rows.map((row) => {
          const mine = row.senderId === self;
          return (
            <div key={row.id} class={`bubble ${mine ? 'mine' : 'theirs'}`} data-test="message">
              <span class="text">
                {row.messageType === 0 ? row.message : `[media] ${row.message}`}
              </span>
              {mine ? (
                <span class="mark" data-test="mark">
                  {row.readStatus === 1 ? 'read' : 'sent'}
                </span>
              ) : null}
            </div>
          );
        })}
      </div>
      <div class="notices" data-test="notices">
        {lines.map((line) => (
          <p key={line.key} class={line.kind}>
            {line.text}
          </p>
        ))}
      </div>
      <form class="composer" onSubmit={send}>
        <input
          type="text"
          placeholder={online ? 'Message' : 'connect first'}
          value={draft}
          disabled={!online}
          data-test="draft"
          onInput={(event) => setDraft(event.currentTarget.value)}
        />
        <button type="submit" disabled={!online || !draft.trim()} data-test="send">
          Send
        </button>
      </form>
    </section>
  );
}

/** "Try the chat": two phones side by side, each the other's partner. */
export function TryChat(props: { api: Api; settings: ConsoleSettings }) {
  const [left, setLeft] = useState(props.settings.suggestedUsers[0]?.id ?? 1);
  const [right, setRight] = useState(props.settings.suggestedUsers[1]?.id ?? 2);
  const [names, setNames] = useState<Record<number, string>>({});
  const learn = (identity: ChatIdentity) =>
    setNames((old) => ({ ...old, [identity.userId]: identity.name }));
  if (props.settings.chatIdentity === 'unavailable') {
    return (
      <p class="callout">
        This server requires tokens signed by your identity provider (AUTH_MODE=required with a
        public key or a JWKS), which the console cannot sign. Try the chat with AUTH_JWT_SECRET, or
        with AUTH_MODE optional or legacy.
      </p>
    );
  }
  return (
    <div>
      <p class="muted intro">
        Two phones on the real Socket.IO protocol. Pick a user on each side, connect both, and chat.
        {props.settings.suggestedUsers.length > 0
          ? ` Demo users: ${props.settings.suggestedUsers.map((user) => `${user.id} ${user.name}`).join(', ')}.`
          : ' Users must exist (PUT /admin/users/:id, or DEMO_USERS=true on an empty database).'}
        {props.settings.chatIdentity === 'minted'
          ? ' Each phone gets a 15-minute token signed by the server.'
          : ''}
      </p>
      <div class="phones">
        <ChatPane
          side="left"
          {...props}
          userId={left}
          partnerId={right}
          partnerName={names[right]}
          onUserId={setLeft}
          onIdentity={learn}
        />
        <ChatPane
          side="right"
          {...props}
          userId={right}
          partnerId={left}
          partnerName={names[left]}
          onUserId={setRight}
          onIdentity={learn}
        />
      </div>
    </div>
  );
}
