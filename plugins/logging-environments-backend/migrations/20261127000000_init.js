/*
 * The logging-environments plugin's tables. The plugin has a database of its
 * own, so the names carry no prefix.
 *
 * Two rules are kept by the database rather than by the code, so that they
 * hold across replicas and concurrent requests: a unique index on a nullable
 * `active_key` column, set while a row is active and NULL once it is not
 * (NULLs never collide in a unique index on SQLite, PostgreSQL or MySQL).
 *
 * No column holds a secret value.
 */

/**
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('checklist_runs', table => {
    table.comment('Finished runs of the phase-2 checklist');
    // A sequence only to order rows created within the same millisecond.
    table.increments('seq');
    table.uuid('id').notNullable().unique();
    table.string('environment_ref', 255).notNullable();
    table.string('status', 16).notNullable();
    table.string('revision', 255).nullable();
    table.text('items').notNullable().comment('JSON array of checklist items');
    table.string('triggered_by', 255).notNullable();
    table.timestamp('started_at', { useTz: true }).notNullable();
    table.timestamp('finished_at', { useTz: true }).notNullable();
    table.index(
      ['environment_ref', 'finished_at'],
      'checklist_runs_environment_finished_idx',
    );
  });

  await knex.schema.createTable('decisions', table => {
    table.comment('Approvals and rejections at the phase-2 gate');
    table.increments('seq');
    table.uuid('id').notNullable().unique();
    table.string('environment_ref', 255).notNullable();
    table.string('decision', 16).notNullable();
    table.string('role', 255).notNullable();
    table.string('actor', 255).notNullable();
    table.text('comment').notNullable();
    table.string('revision', 255).notNullable();
    table.timestamp('created_at', { useTz: true }).notNullable();
    table.timestamp('voided_at', { useTz: true }).nullable();
    table.text('voided_reason').nullable();
    table
      .string('active_key', 64)
      .nullable()
      .comment(
        'Hash of (environment_ref, actor, role, revision) while active, NULL once voided',
      );
    table.unique(['active_key'], { indexName: 'decisions_active_key_uniq' });
    table.index(
      ['environment_ref', 'created_at'],
      'decisions_environment_created_idx',
    );
  });

  await knex.schema.createTable('sync_runs', table => {
    table.comment('Phase-3 sync runs, the persisted state machine');
    table.increments('seq');
    table.uuid('id').notNullable().unique();
    table.string('environment_ref', 255).notNullable();
    table.string('state', 32).notNullable();
    table.string('revision', 255).notNullable();
    table.string('requested_by', 255).notNullable();
    table.text('message').nullable();
    table.integer('rollback_to').nullable();
    table.text('data').nullable().comment('JSON object of progress data');
    table.timestamp('started_at', { useTz: true }).notNullable();
    table.timestamp('updated_at', { useTz: true }).notNullable();
    table.timestamp('state_since', { useTz: true }).notNullable();
    table
      .string('active_key', 255)
      .nullable()
      .comment('environment_ref while the run is not in a final state');
    table.unique(['active_key'], { indexName: 'sync_runs_active_key_uniq' });
    table.index(
      ['environment_ref', 'started_at'],
      'sync_runs_environment_started_idx',
    );
  });

  await knex.schema.createTable('history', table => {
    table.comment('Audit trail of each environment');
    table.increments('seq');
    table.uuid('id').notNullable().unique();
    table.string('environment_ref', 255).notNullable();
    table.string('type', 32).notNullable();
    table.string('actor', 255).notNullable();
    table.timestamp('at', { useTz: true }).notNullable();
    table.text('message').notNullable();
    table.text('details').nullable().comment('JSON object of non-secret facts');
    table.index(['environment_ref', 'at'], 'history_environment_at_idx');
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.dropTable('history');
  await knex.schema.dropTable('sync_runs');
  await knex.schema.dropTable('decisions');
  await knex.schema.dropTable('checklist_runs');
};
