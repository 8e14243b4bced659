import { useEffect, useState } from 'preact/hooks';
import type { Api } from './api';
import { when } from './reports';

/** GET /admin/audit entries (README "Moderation"). */
interface AuditEntry {
  id: number;
  time: number;
  actor: string;
  action: string;
  userId: number | null;
  reportId: number | null;
  details: Record<string, unknown>;
}

interface AuditPage {
  entries: AuditEntry[];
  nextCursor: string | null;
}

function describe(details: Record<string, unknown>): string {
  return Object.entries(details)
    .map(
      ([key, value]) =>
        `${key}: ${typeof value === 'object' ? JSON.stringify(value) : String(value)}`,
    )
    .join('; ');
}

/** The audit trail, newest first; of one user when `userId` is given. */
export function AuditTrail(props: { api: Api; userId?: number; refresh?: number }) {
  const [entries, setEntries] = useState<AuditEntry[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState('');

  const load = async (from: string | null) => {
    setError('');
    try {
      const query = new URLSearchParams({ limit: '50' });
      if (props.userId) query.set('userId', String(props.userId));
      if (from) query.set('cursor', from);
      const page = await props.api.get<AuditPage>(`/admin/audit?${query.toString()}`);
      setEntries((old) => (from ? [...old, ...page.entries] : page.entries));
      setCursor(page.nextCursor);
    } catch (failure) {
      setError((failure as Error).message);
    }
  };

  useEffect(() => {
    void load(null);
  }, [props.api, props.userId, props.refresh]);

  return (
    <div>
      {error ? <p class="error">{error}</p> : null}
      {entries.length === 0 && !error ? <p class="muted">No admin actions yet.</p> : null}
      {entries.length > 0 ? (
        <table class="grid" data-test="audit">
          <thead>
            <tr>
              <th>when</th>
              <th>who</th>
              <th>action</th>
              <th>user</th>
              <th>report</th>
              <th>details</th>
            </tr>
          </thead>
          <tbody>
            {entries.map((entry) => (
              <tr key={entry.id}>
                <td class="nowrap">{when(entry.time)}</td>
                <td>{entry.actor}</td>
                <td class="nowrap">{entry.action}</td>
                <td>
                  {entry.userId ? <a href={`#/users/${entry.userId}`}>#{entry.userId}</a> : ''}
                </td>
                <td>{entry.reportId ?? ''}</td>
                <td class="comment">{describe(entry.details)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {cursor ? (
        <button type="button" onClick={() => void load(cursor)}>
          More
        </button>
      ) : null}
    </div>
  );
}
