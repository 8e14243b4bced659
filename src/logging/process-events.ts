import type { Logger as PinoLogger } from 'pino';

/**
 * Process-level events as JSON log lines, like everything else the server
 * writes (README "Operations / Logs"):
 * - warnings (deprecations, MaxListenersExceeded, experimental features):
 *   Node prints them as plain text on stderr through its own 'warning'
 *   listener, which is replaced;
 * - an unhandled promise rejection is logged as an error and the server keeps
 *   serving: it is a promise that nobody awaited, not a corrupted state, and
 *   ending the process would drop every user for one stray failure;
 * - an uncaught exception is logged as fatal and ends the process with exit
 *   code 1, as Node would: after a synchronous throw escaped, the state is
 *   unknown.
 * `counters.rejection` is called on each rejection (main.ts points it at /metrics once the app exists).
 */
export function logProcessEvents(logger: PinoLogger): { rejection: () => void } {
  const counters = { rejection: (): void => undefined };
  process.removeAllListeners('warning');
  process.on('warning', (warning: Error & { code?: string }) => {
    logger.warn(
      { warning: { name: warning.name, code: warning.code, stack: warning.stack } },
      `${warning.name}: ${warning.message}`,
    );
  });
  process.on('unhandledRejection', (reason: unknown) => {
    counters.rejection();
    logger.error(
      { err: reason instanceof Error ? reason : undefined },
      `unhandled promise rejection: ${reason instanceof Error ? reason.message : String(reason)}`,
    );
  });
  process.on('uncaughtException', (error: Error) => {
    logger.fatal({ err: error }, `uncaught exception: ${error.message}`);
    process.exit(1);
  });
  return counters;
}
