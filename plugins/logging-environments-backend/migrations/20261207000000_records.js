/*
 * The trusted records of the environments: the facts the gate, the policy,
 * the sync and the checklist act on. Written only through the backend (the
 * bootstrap's claim and bind, an administrator's change), never from the
 * catalog.
 *
 * One environment per name, per cluster and per bucket: unique indexes keep
 * that across replicas and concurrent bootstraps.
 *
 * Decisions gain `binding`, the fingerprint of what they approved besides
 * the commit (both Applications' source, project and sync policy).
 */

/**
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('environment_records', table => {
    table.comment('Trusted record of each logging environment');
    table.string('entity_ref', 255).primary();
    table.string('name', 63).notNullable().unique();
    table.string('cluster', 255).notNullable().unique();
    table.string('tier', 16).notNullable();
    table.string('namespace', 63).notNullable();
    table.string('argocd_namespace', 63).notNullable();
    table.string('project', 255).notNullable();
    table.string('infrastructure_app', 255).notNullable();
    table.string('infrastructure_uid', 64).nullable();
    table.string('forwarder_app', 255).notNullable();
    table.string('forwarder_uid', 64).nullable();
    table.string('owner', 255).notNullable();
    table.string('requester', 255).notNullable();
    table.string('region', 32).notNullable();
    table.string('bucket', 63).notNullable().unique();
    table.string('secret', 255).notNullable();
    table.string('gitops_path', 255).notNullable();
    table
      .text('extra_approvers')
      .notNullable()
      .comment('JSON object: role -> group entity refs');
    table.string('state', 16).notNullable();
    table.timestamp('created_at', { useTz: true }).notNullable();
    table.timestamp('updated_at', { useTz: true }).notNullable();
    table.string('updated_by', 255).notNullable();
    table.index(['tier'], 'environment_records_tier_idx');
    table.index(['owner'], 'environment_records_owner_idx');
  });
  await knex.schema.alterTable('decisions', table => {
    table
      .string('binding', 64)
      .nullable()
      .comment(
        "Fingerprint of both Applications' source, project and sync policy at the time of the decision",
      );
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.alterTable('decisions', table => {
    table.dropColumn('binding');
  });
  await knex.schema.dropTable('environment_records');
};
