import { render } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { Api, ApiError, storedToken, storeToken, type ConsoleSettings } from './api';
import { AuditTrail } from './audit';
import { TryChat } from './chat';
import { OverviewPage } from './overview';
import { ReportsPage } from './reports';
import { UserPage } from './user';

type Route =
  | { page: 'overview' }
  | { page: 'reports' }
  | { page: 'user'; userId?: number }
  | { page: 'audit' }
  | { page: 'chat' };

/** Pages are in the fragment (#/reports, #/users/5); the token never is. */
function readRoute(): Route {
  const hash = location.hash.replace(/^#\/?/, '');
  const [page, id] = hash.split('/');
  if (page === 'reports') return { page: 'reports' };
  if (page === 'users') return { page: 'user', userId: id ? Number(id) : undefined };
  if (page === 'audit') return { page: 'audit' };
  if (page === 'chat') return { page: 'chat' };
  return { page: 'overview' };
}

export function go(path: string): void {
  location.hash = `#/${path}`;
}

function SignIn(props: { onSignedIn: (token: string, settings: ConsoleSettings) => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError('');
    try {
      const settings = await new Api(token).get<ConsoleSettings>('/admin/console/settings');
      props.onSignedIn(token, settings);
    } catch (failure) {
      setError(
        failure instanceof ApiError && failure.status === 401
          ? 'That is not the admin token.'
          : (failure as Error).message,
      );
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="sign-in">
      <form onSubmit={submit}>
        <h1>Chat server console</h1>
        <p class="muted">Sign in with the server's ADMIN_TOKEN. It stays in this tab only.</p>
        <input
          type="password"
          autocomplete="off"
          placeholder="admin token"
          value={token}
          data-test="token"
          onInput={(event) => setToken(event.currentTarget.value)}
        />
        <button type="submit" disabled={busy || token.length === 0} data-test="sign-in">
          Sign in
        </button>
        {error ? (
          <p class="error" data-test="sign-in-error">
            {error}
          </p>
        ) : null}
      </form>
    </main>
  );
}

function App() {
  const [token, setToken] = useState<string | null>(storedToken());
  const [settings, setSettings] = useState<ConsoleSettings | null>(null);
  const [route, setRoute] = useState<Route>(readRoute());

  const signOut = () => {
    storeToken(null);
    setToken(null);
    setSettings(null);
  };
  const api = useMemo(() => (token ? new Api(token, signOut) : null), [token]);

  useEffect(() => {
    const onHash = () => setRoute(readRoute());
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);

  // A reload keeps the token (sessionStorage): read the settings again.
  useEffect(() => {
    if (api && !settings) {
      api.get<ConsoleSettings>('/admin/console/settings').then(setSettings, signOut);
    }
  }, [api]);

  if (!token || !api) {
    return (
      <SignIn
        onSignedIn={(signedIn, loaded) => {
          storeToken(signedIn);
          setSettings(loaded);
          setToken(signedIn);
        }}
      />
    );
  }
  if (!settings) return <main class="loading muted">loading…</main>;

  const tab = (page: Route['page'], path: string, label: string) => (
    <a href={`#/${path}`} class={route.page === page ? 'active' : ''} data-test={`nav-${page}`}>
      {label}
    </a>
  );
  return (
    <div class="shell">
      <nav class="top">
        <strong class="brand">Chat console</strong>
        {tab('overview', 'overview', 'Overview')}
        {tab('reports', 'reports', 'Reports')}
        {tab('user', 'users', 'Users')}
        {tab('audit', 'audit', 'Audit')}
        {tab('chat', 'chat', 'Try the chat')}
        <span class="spacer" />
        <span class="muted small">auth: {settings.authMode}</span>
        <button type="button" class="link" onClick={signOut} data-test="sign-out">
          Sign out
        </button>
      </nav>
      <main class="page">
        {route.page === 'overview' ? <OverviewPage api={api} /> : null}
        {route.page === 'reports' ? <ReportsPage api={api} /> : null}
        {route.page === 'user' ? <UserPage api={api} userId={route.userId} /> : null}
        {route.page === 'audit' ? <AuditTrail api={api} /> : null}
        {/* Kept mounted while away, so the phones stay connected across tabs. */}
        <div hidden={route.page !== 'chat'}>
          <TryChat api={api} settings={settings} />
        </div>
      </main>
    </div>
  );
}

render(<App />, document.getElementById('app')!);
