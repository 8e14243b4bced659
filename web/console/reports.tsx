import { useEffect, useState } from 'preact/hooks';
import type { Api } from './api';

interface Profile {
  id: number;
  name: string;
  image: string;
}

/** GET /admin/reports items (README "Moderation"). */
export interface Report {
  id: number;
  reporterId: number;
  reportedId: number;
  reporter: Profile | null;
  reported: Profile | null;
  comment: string | null;
  created: number;
  status: 'open' | 'resolved';
  openReportsAgainstReported: number;
  resolution: 'dismiss' | 'ban' | null;
  note: string | null;
  resolved: number | null;
  resolvedBy: string | null;
}

interface ReportsPage {
  reports: Report[];
  nextCursor: string | null;
}

export function when(seconds: number): string {
  return new Date(seconds * 1000).toLocaleString();
}

function who(profile: Profile | null, id: number) {
  return (
    <a href={`#/users/${id}`}>
      {profile ? profile.name : 'erased user'} <span class="muted">#{id}</span>
    </a>
  );
}

/** The reports queue: open (or resolved) reports, newest first, with dismiss and ban. */
export function ReportsPage(props: { api: Api }) {
  const [status, setStatus] = useState<'open' | 'resolved'>('open');
  const [reports, setReports] = useState<Report[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState('');
  const [loaded, setLoaded] = useState(false);
  const [busy, setBusy] = useState<number | null>(null);

  const load = async (from: string | null) => {
    setError('');
    try {
      const query = new URLSearchParams({ status, limit: '20' });
      if (from) query.set('cursor', from);
      const page = await props.api.get<ReportsPage>(`/admin/reports?${query.toString()}`);
      setReports((old) => (from ? [...old, ...page.reports] : page.reports));
      setCursor(page.nextCursor);
    } catch (failure) {
      setError((failure as Error).message);
    }
    setLoaded(true);
  };

  useEffect(() => {
    setReports([]);
    setLoaded(false);
    void load(null);
  }, [status, props.api]);

  const resolve = async (report: Report, action: 'dismiss' | 'ban') => {
    if (
      action === 'ban' &&
      !confirm(`Ban ${report.reported?.name ?? 'user'} #${report.reportedId} with no end?`)
    ) {
      return;
    }
    setBusy(report.id);
    try {
      await props.api.post(`/admin/reports/${report.id}/resolve`, {
        action,
        note: action === 'ban' ? 'banned from the console' : 'dismissed from the console',
      });
      await load(null);
    } catch (failure) {
      setError((failure as Error).message);
    }
    setBusy(null);
  };

  return (
    <div>
      <div class="toolbar">
        <button
          type="button"
          class={status === 'open' ? 'active' : ''}
          onClick={() => setStatus('open')}
        >
          Open
        </button>
        <button
          type="button"
          class={status === 'resolved' ? 'active' : ''}
          onClick={() => setStatus('resolved')}
        >
          Resolved
        </button>
        <button type="button" onClick={() => void load(null)} data-test="refresh-reports">
          Refresh
        </button>
      </div>
      {error ? <p class="error">{error}</p> : null}
      {loaded && reports.length === 0 ? <p class="muted">No {status} reports.</p> : null}
      <table class="grid" data-test="reports">
        {reports.length > 0 ? (
          <thead>
            <tr>
              <th>when</th>
              <th>reported</th>
              <th>by</th>
              <th>comment</th>
              <th>{status === 'open' ? 'open against them' : 'resolution'}</th>
              <th />
            </tr>
          </thead>
        ) : null}
        <tbody>
          {reports.map((report) => (
            <tr key={report.id} data-test="report" data-report-id={report.id}>
              <td class="nowrap">{when(report.created)}</td>
              <td>{who(report.reported, report.reportedId)}</td>
              <td>{who(report.reporter, report.reporterId)}</td>
              <td class="comment">{report.comment ?? <span class="muted">none</span>}</td>
              <td>
                {report.status === 'open'
                  ? report.openReportsAgainstReported
                  : `${report.resolution ?? ''} by ${report.resolvedBy ?? '?'}${report.note ? `: ${report.note}` : ''}`}
              </td>
              <td class="nowrap">
                {report.status === 'open' ? (
                  <>
                    <button
                      type="button"
                      disabled={busy === report.id}
                      data-test="dismiss"
                      onClick={() => void resolve(report, 'dismiss')}
                    >
                      Dismiss
                    </button>
                    <button
                      type="button"
                      class="danger"
                      disabled={busy === report.id || report.reported === null}
                      data-test="ban"
                      onClick={() => void resolve(report, 'ban')}
                    >
                      Ban
                    </button>
                  </>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {cursor ? (
        <button type="button" onClick={() => void load(cursor)}>
          More
        </button>
      ) : null}
    </div>
  );
}
