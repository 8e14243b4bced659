import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The last message's text, type and time kept on its conversation row (issue
 * 11), written by the send statement's conversation upsert, so chat_listing
 * reads them without a look-up into messages per conversation. Nullable
 * without a default: adding them rewrites nothing. The backfill copies them
 * from each row's last message; a row without one (no last_message_id, or a
 * message deleted for good) keeps NULLs, which the listing shows as it showed
 * a missing message.
 */
export class ConversationLastMessage1767000000000 implements MigrationInterface {
  name = 'ConversationLastMessage1767000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "chat_constants" ADD COLUMN "last_message" text,
        ADD COLUMN "last_message_type" smallint, ADD COLUMN "last_message_created" bigint`,
    );
    await queryRunner.query(
      `UPDATE "chat_constants" c SET "last_message" = m."message",
        "last_message_type" = m."message_type", "last_message_created" = m."created"
       FROM "messages" m WHERE m."id" = c."last_message_id"`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "chat_constants" DROP COLUMN "last_message_created",
        DROP COLUMN "last_message_type", DROP COLUMN "last_message"`,
    );
  }
}
