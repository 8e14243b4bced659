import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Push notifications (issue 12): `push_deliveries` is the durable queue the
 * send statement appends to and every node's worker leases from (SKIP
 * LOCKED); `push_devices` holds the FCM tokens of users' devices. The partial
 * index keeps leasing to the live rows: dead letters stay out of it.
 */
export class PushNotifications1768000000000 implements MigrationInterface {
  name = 'PushNotifications1768000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "push_deliveries" ("id" BIGSERIAL NOT NULL, "delivery_id" uuid NOT NULL,
        "sender" varchar(16) NOT NULL, "message_id" integer NOT NULL, "receiver_id" integer NOT NULL,
        "payload" text NOT NULL, "attempts" integer NOT NULL DEFAULT 0,
        "due_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        "dead_at" TIMESTAMP WITH TIME ZONE, "last_error" text, "done_targets" text,
        PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_push_deliveries_delivery_sender" ON "push_deliveries" ("delivery_id", "sender")`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_push_deliveries_due" ON "push_deliveries" ("due_at") WHERE "dead_at" IS NULL`,
    );
    await queryRunner.query(
      `CREATE TABLE "push_devices" ("token" varchar(4096) NOT NULL, "user_id" integer NOT NULL,
        "platform" varchar(16) NOT NULL, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        PRIMARY KEY ("token"))`,
    );
    await queryRunner.query(`CREATE INDEX "ix_push_devices_user" ON "push_devices" ("user_id")`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "push_devices"`);
    await queryRunner.query(`DROP TABLE "push_deliveries"`);
  }
}
