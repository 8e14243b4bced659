import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Keys that make a send safe to repeat (issue 10): `message_key`, drawn by the
 * server when it accepts a message, so a batch retried after an unknown
 * outcome finds what it already stored; `client_message_id`, the client's
 * optional key, unique per sender across nodes. Rows stored before have
 * neither (NULL). Both columns are nullable without a default, so adding them
 * rewrites nothing; building the two indexes reads the table once.
 */
export class MessageKeys1765000000000 implements MigrationInterface {
  name = 'MessageKeys1765000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "messages" ADD COLUMN "message_key" uuid, ADD COLUMN "client_message_id" varchar(64)`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_messages_message_key" ON "messages" ("message_key")`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_messages_sender_client_message_id" ON "messages" ("sender_id", "client_message_id") WHERE "client_message_id" IS NOT NULL`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "uq_messages_sender_client_message_id"`);
    await queryRunner.query(`DROP INDEX "uq_messages_message_key"`);
    await queryRunner.query(
      `ALTER TABLE "messages" DROP COLUMN "client_message_id", DROP COLUMN "message_key"`,
    );
  }
}
