/*
 * Leases that serialise work on one key across replicas (an environment's
 * approval decisions, its checklist run). A row is a held lease: the key is
 * the primary key, so only one replica can insert it; `expires_at` (epoch
 * milliseconds) lets another replica take over from a holder that died.
 */

/**
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('locks', table => {
    table.comment('Leases held by one replica at a time, per key');
    table.string('key', 255).primary();
    table.uuid('holder').notNullable();
    table
      .bigInteger('expires_at')
      .notNullable()
      .comment('Epoch milliseconds after which another replica may take over');
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.dropTable('locks');
};
