/** Anything that runs SQL: a DataSource or a transaction's EntityManager. */
interface Queryable {
  query(sql: string, params?: unknown[]): Promise<unknown>;
}

/**
 * Runs a DELETE or UPDATE and resolves to how many rows it changed. TypeORM's
 * query() answers such statements as `[rows, count]` on Postgres, so it is
 * wrapped in a CTE and counted by a SELECT, whose answer is plain rows.
 */
export async function changedRows(
  db: Queryable,
  statement: string,
  params: unknown[],
): Promise<number> {
  const rows = (await db.query(
    `WITH changed AS (${statement} RETURNING 1) SELECT count(*)::integer AS n FROM changed`,
    params,
  )) as Array<{ n: number | string }>;
  return Number(rows[0].n);
}
