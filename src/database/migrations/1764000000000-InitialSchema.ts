import { MigrationInterface, QueryRunner } from 'typeorm';

/** Users, conversations (chat constants), messages, blocks and reports. */
export class InitialSchema1764000000000 implements MigrationInterface {
  name = 'InitialSchema1764000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "users" (
        "id" integer PRIMARY KEY CHECK ("id" > 0),
        "name" varchar(100) NOT NULL,
        "image" text NOT NULL DEFAULT '',
        "created_at" timestamptz NOT NULL DEFAULT now(),
        "updated_at" timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`
      CREATE TABLE "chat_constants" (
        "id" SERIAL PRIMARY KEY,
        "sender_id" integer NOT NULL REFERENCES "users"("id"),
        "receiver_id" integer NOT NULL REFERENCES "users"("id"),
        "user_low_id" integer NOT NULL REFERENCES "users"("id"),
        "user_high_id" integer NOT NULL REFERENCES "users"("id"),
        "last_message_id" integer,
        "cleared_by_low" boolean NOT NULL DEFAULT false,
        "cleared_by_high" boolean NOT NULL DEFAULT false,
        "created" bigint NOT NULL,
        "updated" bigint NOT NULL,
        CONSTRAINT "uq_chat_constants_pair" UNIQUE ("user_low_id", "user_high_id"),
        CONSTRAINT "ck_chat_constants_ordered_pair" CHECK ("user_low_id" < "user_high_id")
      )`);
    await queryRunner.query(
      `CREATE INDEX "ix_chat_constants_low_last" ON "chat_constants" ("user_low_id", "last_message_id")`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_chat_constants_high_last" ON "chat_constants" ("user_high_id", "last_message_id")`,
    );
    await queryRunner.query(`
      CREATE TABLE "messages" (
        "id" SERIAL PRIMARY KEY,
        "chat_constant_id" integer NOT NULL REFERENCES "chat_constants"("id"),
        "sender_id" integer NOT NULL REFERENCES "users"("id"),
        "receiver_id" integer NOT NULL REFERENCES "users"("id"),
        "group_id" integer NOT NULL DEFAULT 0,
        "message" text NOT NULL,
        "message_type" smallint NOT NULL,
        "read_status" smallint NOT NULL DEFAULT 0,
        "deleted_id" integer NOT NULL DEFAULT 0,
        "created" bigint NOT NULL,
        "updated" bigint NOT NULL
      )`);
    await queryRunner.query(
      `CREATE INDEX "ix_messages_conversation_id" ON "messages" ("chat_constant_id", "id")`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_messages_unread_by_receiver" ON "messages" ("receiver_id", "chat_constant_id") WHERE "read_status" = 0`,
    );
    await queryRunner.query(`
      CREATE TABLE "blocks" (
        "blocker_id" integer NOT NULL REFERENCES "users"("id"),
        "blocked_id" integer NOT NULL REFERENCES "users"("id"),
        "created_at" timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY ("blocker_id", "blocked_id")
      )`);
    await queryRunner.query(`
      CREATE TABLE "reports" (
        "id" SERIAL PRIMARY KEY,
        "reporter_id" integer NOT NULL REFERENCES "users"("id"),
        "reported_id" integer NOT NULL REFERENCES "users"("id"),
        "comment" text,
        "created_at" timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX "ix_reports_reported" ON "reports" ("reported_id")`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "reports"`);
    await queryRunner.query(`DROP TABLE "blocks"`);
    await queryRunner.query(`DROP TABLE "messages"`);
    await queryRunner.query(`DROP TABLE "chat_constants"`);
    await queryRunner.query(`DROP TABLE "users"`);
  }
}
