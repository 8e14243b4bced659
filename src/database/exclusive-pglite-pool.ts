import { PGlitePool } from 'typeorm-pglite/dist/pglite-pool.js';

type Release = (error?: unknown) => void;
type ConnectCallback = (error: unknown, client: PGlitePool | null, release: Release) => void;

/**
 * typeorm-pglite hands every TypeORM query runner the same PGlite connection,
 * so a transaction and any query issued meanwhile would interleave on it (and a
 * rollback would undo the other's work). This pool lends that connection to
 * one query runner at a time, like a pool of one, so `dataSource.transaction()`
 * means on the embedded database what it means on Postgres.
 */
export class ExclusivePGlitePool extends PGlitePool {
  private tail: Promise<void> = Promise.resolve();

  override connect(callback: ConnectCallback): Promise<void> {
    const previous = this.tail;
    let handBack!: () => void;
    this.tail = new Promise<void>((resolve) => (handBack = resolve));
    let released = false;
    const release: Release = () => {
      if (released) return;
      released = true;
      handBack();
    };
    return previous.then(() =>
      super.connect((error, client) => {
        if (error) release();
        callback(error, client, release);
      }),
    );
  }
}
