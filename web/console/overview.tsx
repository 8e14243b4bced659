import { useEffect, useState } from 'preact/hooks';
import type { Api, Overview } from './api';

const REFRESH_MS = 2000;

function duration(seconds: number): string {
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  return `${Math.round(seconds / 3600)} h`;
}

function megabytes(bytes: number): string {
  return `${Math.round(bytes / 1048576)} MB`;
}

/** GET /admin/overview every two seconds: the same figures /metrics gives, for every node. */
export function OverviewPage(props: { api: Api }) {
  const [overview, setOverview] = useState<Overview | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    let stopped = false;
    let timer: number | undefined;
    const load = async () => {
      try {
        const next = await props.api.get<Overview>('/admin/overview');
        if (!stopped) {
          setOverview(next);
          setError('');
        }
      } catch (failure) {
        if (!stopped) setError((failure as Error).message);
      }
      if (!stopped) timer = window.setTimeout(() => void load(), REFRESH_MS);
    };
    void load();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [props.api]);

  if (!overview) return <p class="muted">{error || 'loading…'}</p>;
  const { totals, push } = overview;
  return (
    <div>
      {error ? <p class="error">{error}</p> : null}
      <div class="cards">
        <div class="card">
          <span class="figure" data-test="nodes">
            {overview.nodes.length}
          </span>
          <span class="label">{overview.nodes.length === 1 ? 'node' : 'nodes'}</span>
        </div>
        <div class="card">
          <span class="figure" data-test="sockets">
            {totals.sockets}
          </span>
          <span class="label">connected sockets</span>
        </div>
        <div class="card">
          <span class="figure">{totals.boundUsers}</span>
          <span class="label">users connected</span>
        </div>
        <div class="card">
          <span class="figure" data-test="rate">
            {totals.messagesPerSecond}
          </span>
          <span class="label">messages/s (10 s)</span>
        </div>
        <div class="card">
          <span class="figure">{push ? push.oldestAgeSeconds : '–'}</span>
          <span class="label">
            {push ? 'oldest unsent push, s' : 'push queue: not in this build'}
          </span>
        </div>
      </div>
      <table class="grid">
        <thead>
          <tr>
            <th>node</th>
            <th>sockets</th>
            <th>users</th>
            <th>messages stored</th>
            <th>msg/s</th>
            <th>Redis</th>
            <th>memory</th>
            <th>up</th>
          </tr>
        </thead>
        <tbody>
          {overview.nodes.map((node) => (
            <tr key={node.id}>
              <td>
                {node.id}
                {node.self ? <span class="muted"> (answered this page)</span> : null}
              </td>
              <td>{node.sockets}</td>
              <td>{node.boundUsers}</td>
              <td>{node.messagesTotal}</td>
              <td>{node.messagesPerSecond}</td>
              <td>{node.redisUp === null ? 'not used' : node.redisUp ? 'up' : 'DOWN'}</td>
              <td>{megabytes(node.rssBytes)}</td>
              <td>{duration(node.uptimeSeconds)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {push ? (
        <p class="muted">
          Push: {push.queued} queued, {push.sent} sent, {push.deadLettered} given up (since each
          node started).
        </p>
      ) : null}
      <p class="muted small">
        {overview.multiNode
          ? 'Every node that answered within 2 s through Redis; a missing node is down or stalled.'
          : 'A single node (no REDIS_URL).'}{' '}
        Counters are per node since it started, as on /metrics.
      </p>
    </div>
  );
}
