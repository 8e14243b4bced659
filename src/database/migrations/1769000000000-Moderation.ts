import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Moderation someone can act on (issue 13): reports get a status and a
 * resolution; `bans` holds each user's current ban; `admin_audit` keeps
 * every admin action. Reports against a user outlive the user's erasure
 * (README "Moderation"), so `reports.reported_id` loses its foreign key.
 * The new report columns are nullable or have a constant default: adding
 * them rewrites nothing.
 */
export class Moderation1769000000000 implements MigrationInterface {
  name = 'Moderation1769000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "reports" ADD COLUMN "status" varchar(16) NOT NULL DEFAULT 'open',
        ADD COLUMN "resolution" varchar(16), ADD COLUMN "resolution_note" text,
        ADD COLUMN "resolved_at" timestamptz, ADD COLUMN "resolved_by" varchar(100)`,
    );
    await queryRunner.query(
      `ALTER TABLE "reports" ADD CONSTRAINT "ck_reports_status" CHECK ("status" IN ('open', 'resolved'))`,
    );
    await queryRunner.query(`ALTER TABLE "reports" DROP CONSTRAINT "reports_reported_id_fkey"`);
    await queryRunner.query(`CREATE INDEX "ix_reports_status_id" ON "reports" ("status", "id")`);
    await queryRunner.query(`
      CREATE TABLE "bans" (
        "user_id" integer PRIMARY KEY REFERENCES "users"("id"),
        "reason" text NOT NULL DEFAULT '',
        "until" timestamptz,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "created_by" varchar(100) NOT NULL
      )`);
    await queryRunner.query(`
      CREATE TABLE "admin_audit" (
        "id" SERIAL PRIMARY KEY,
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "actor" varchar(100) NOT NULL,
        "action" varchar(64) NOT NULL,
        "user_id" integer,
        "report_id" integer,
        "details" jsonb NOT NULL DEFAULT '{}'
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "admin_audit"`);
    await queryRunner.query(`DROP TABLE "bans"`);
    await queryRunner.query(`DROP INDEX "ix_reports_status_id"`);
    // Fails while a report names an erased user: such reports must go first.
    await queryRunner.query(
      `ALTER TABLE "reports" ADD CONSTRAINT "reports_reported_id_fkey" FOREIGN KEY ("reported_id") REFERENCES "users"("id")`,
    );
    await queryRunner.query(`ALTER TABLE "reports" DROP CONSTRAINT "ck_reports_status"`);
    await queryRunner.query(
      `ALTER TABLE "reports" DROP COLUMN "resolved_by", DROP COLUMN "resolved_at",
        DROP COLUMN "resolution_note", DROP COLUMN "resolution", DROP COLUMN "status"`,
    );
  }
}
