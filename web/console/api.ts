/** The admin API, with the token typed in at sign-in (kept in sessionStorage, never in a URL). */

const TOKEN_KEY = 'chat-console-admin-token';

export function storedToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function storeToken(token: string | null): void {
  if (token === null) sessionStorage.removeItem(TOKEN_KEY);
  else sessionStorage.setItem(TOKEN_KEY, token);
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export class Api {
  constructor(
    private readonly token: string,
    /** Called on 401: the token is wrong (or was changed on the server). */
    private readonly onUnauthorized: () => void = () => undefined,
  ) {}

  get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }

  post<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('POST', path, body);
  }

  put<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('PUT', path, body);
  }

  delete<T>(path: string): Promise<T> {
    return this.request<T>('DELETE', path);
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(path, {
      method,
      headers: {
        Authorization: `Bearer ${this.token}`,
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
      credentials: 'omit',
    });
    const text = await response.text();
    const data: unknown = text ? safeJson(text) : undefined;
    if (!response.ok) {
      if (response.status === 401) this.onUnauthorized();
      throw new ApiError(
        response.status,
        errorMessage(data) ?? `${response.status} ${response.statusText}`,
      );
    }
    return data as T;
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function errorMessage(data: unknown): string | undefined {
  if (typeof data === 'string') return data;
  if (data && typeof data === 'object' && 'message' in data) {
    const message = (data as { message: unknown }).message;
    return Array.isArray(message) ? message.join('; ') : String(message);
  }
  return undefined;
}

/** Answers of the console's own endpoints (src/console/console.controller.ts). */
export interface ConsoleSettings {
  authMode: 'legacy' | 'optional' | 'required';
  chatIdentity: 'none' | 'minted' | 'unavailable';
  socketPath: string;
  suggestedUsers: Array<{ id: number; name: string }>;
}

export interface ChatIdentity {
  userId: number;
  name: string;
  image: string;
  token: string | null;
  expiresAt: number | null;
}

// The server's own declaration of GET /admin/overview's answer.
export type { NodeStats, Overview, PushStats } from '../../src/console/overview.types.js';
