/** Where one change put its event in each addressed user's feed: user id -> position. */
export type FeedPositions = ReadonlyMap<number, number>;

/** Reads FEED_POSITIONS_SQL's JSON object (`{"12":7,"31":2}`; NULL when nothing was appended). */
export function parseFeedPositions(text: string | null | undefined): FeedPositions {
  const positions = new Map<number, number>();
  if (!text) return positions;
  for (const [userId, pos] of Object.entries(JSON.parse(text) as Record<string, number | string>)) {
    positions.set(Number(userId), Number(pos));
  }
  return positions;
}
