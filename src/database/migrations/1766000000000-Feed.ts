import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The durable per-user feed (issue 11): `feed_heads` hands out consecutive
 * positions per user, `feed_events` keeps each event's payload until
 * FEED_RETENTION_DAYS. A BRIN index on `created` lets the pruning job find
 * old rows without scanning the table and costs next to nothing per insert
 * (rows arrive in time order).
 */
export class Feed1766000000000 implements MigrationInterface {
  name = 'Feed1766000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "feed_heads" ("user_id" integer NOT NULL, "last_pos" bigint NOT NULL, PRIMARY KEY ("user_id"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "feed_events" ("user_id" integer NOT NULL, "pos" bigint NOT NULL,
        "event" varchar(32) NOT NULL, "data" text NOT NULL, "message_id" integer, "created" bigint NOT NULL,
        PRIMARY KEY ("user_id", "pos"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_feed_events_created" ON "feed_events" USING brin ("created")`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "feed_events"`);
    await queryRunner.query(`DROP TABLE "feed_heads"`);
  }
}
