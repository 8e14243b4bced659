import { useEffect, useState } from 'preact/hooks';
import type { Api } from './api';
import { AuditTrail } from './audit';
import { when } from './reports';

/** GET /admin/users/:id (README "Moderation"). */
interface UserDetail {
  profile: { id: number; name: string; image: string; created: number; updated: number };
  ban: { reason: string; until: number | null; since: number; by: string } | null;
  /** conversations, messagesSent, reportsAgainst, ... (every module that keeps rows about users). */
  counts: Record<string, number>;
  online: boolean;
}

/** What DELETE /admin/users/:id answers. */
interface Erasure {
  userId: number;
  removed: Record<string, number>;
}

/** One user: profile, ban state, counts; ban, unban and erase. */
export function UserPage(props: { api: Api; userId?: number }) {
  const [idText, setIdText] = useState(props.userId ? String(props.userId) : '');
  const [user, setUser] = useState<UserDetail | null>(null);
  const [error, setError] = useState('');
  const [outcome, setOutcome] = useState('');
  const [reason, setReason] = useState('');
  const [hours, setHours] = useState('');
  /** Bumped after each action, so the user's audit entries are read again. */
  const [actions, setActions] = useState(0);
  const id = props.userId;

  const load = async () => {
    if (!id) return;
    setError('');
    try {
      setUser(await props.api.get<UserDetail>(`/admin/users/${id}`));
    } catch (failure) {
      setUser(null);
      setError((failure as Error).message);
    }
  };

  useEffect(() => {
    setUser(null);
    setOutcome('');
    setIdText(id ? String(id) : '');
    void load();
  }, [id, props.api]);

  const act = async (
    what: () => Promise<unknown>,
    done: (answer: unknown) => string,
    reload = true,
  ) => {
    setError('');
    try {
      const answer = await what();
      setOutcome(done(answer));
      setActions((count) => count + 1);
      if (reload) await load();
      else setUser(null);
    } catch (failure) {
      setError((failure as Error).message);
    }
  };

  const ban = () =>
    act(
      () =>
        props.api.put(`/admin/users/${id}/ban`, {
          reason: reason.trim() || 'banned from the console',
          until: hours ? Math.floor(Date.now() / 1000) + Math.round(Number(hours) * 3600) : null,
        }),
      () => 'Banned: their sockets were disconnected on every node.',
    );
  const unban = () =>
    act(
      () => props.api.delete(`/admin/users/${id}/ban`),
      () => 'Ban lifted.',
    );
  const erase = () => {
    if (!confirm(`Erase user #${id} and all their conversations? This cannot be undone.`)) return;
    void act(
      () => props.api.delete(`/admin/users/${id}`),
      (answer) =>
        `Erased. Rows removed: ${Object.entries((answer as Erasure).removed)
          .map(([table, rows]) => `${table} ${rows}`)
          .join(', ')}.`,
      false,
    );
  };

  const banned = Boolean(user?.ban);
  return (
    <div>
      <form
        class="toolbar"
        onSubmit={(event) => {
          event.preventDefault();
          if (/^\d+$/.test(idText)) location.hash = `#/users/${idText}`;
        }}
      >
        <input
          type="number"
          min={1}
          placeholder="user id"
          value={idText}
          data-test="user-lookup"
          onInput={(event) => setIdText(event.currentTarget.value)}
        />
        <button type="submit">Open</button>
      </form>
      {error ? (
        <p class="error" data-test="user-error">
          {error}
        </p>
      ) : null}
      {outcome ? (
        <p class="ok" data-test="user-outcome">
          {outcome}
        </p>
      ) : null}
      {!id ? <p class="muted">Open a user by id, or from the reports queue.</p> : null}
      {user ? (
        <div class="user-card" data-test="user">
          <h2>
            {user.profile.name} <span class="muted">#{id}</span>{' '}
            {user.online ? (
              <span class="pill online">online</span>
            ) : (
              <span class="pill">offline</span>
            )}
            {banned ? (
              <span class="pill banned" data-test="banned">
                banned
              </span>
            ) : null}
          </h2>
          {user.ban ? (
            <p>
              Banned by {user.ban.by} on {when(user.ban.since)}
              {user.ban.until ? `, until ${when(user.ban.until)}` : ', with no end'}
              {user.ban.reason ? `: ${user.ban.reason}` : ''}
            </p>
          ) : null}
          <p class="muted small">
            In the chat since {when(user.profile.created)}; profile updated{' '}
            {when(user.profile.updated)}.
          </p>
          {user.counts ? (
            <dl class="counts">
              {Object.entries(user.counts).map(([name, value]) => (
                <div key={name}>
                  <dt>{name}</dt>
                  <dd>{value}</dd>
                </div>
              ))}
            </dl>
          ) : null}
          <div class="actions">
            {banned ? (
              <button type="button" onClick={() => void unban()} data-test="unban">
                Lift the ban
              </button>
            ) : (
              <>
                <input
                  type="text"
                  placeholder="reason"
                  value={reason}
                  onInput={(event) => setReason(event.currentTarget.value)}
                />
                <input
                  type="number"
                  min={0}
                  placeholder="hours (empty: no end)"
                  value={hours}
                  onInput={(event) => setHours(event.currentTarget.value)}
                />
                <button
                  type="button"
                  class="danger"
                  onClick={() => void ban()}
                  data-test="ban-user"
                >
                  Ban
                </button>
              </>
            )}
            <button type="button" class="danger" onClick={erase} data-test="erase">
              Erase user
            </button>
          </div>
        </div>
      ) : null}
      {id ? (
        <section class="history">
          <h3>Admin actions about this user</h3>
          <AuditTrail api={props.api} userId={id} refresh={actions} />
        </section>
      ) : null}
    </div>
  );
}
