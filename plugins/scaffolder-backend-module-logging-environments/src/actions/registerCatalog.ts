import { stringifyEntityRef } from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { LOGGING_ENVIRONMENT_ENTITY_TYPE } from '@internal/plugin-logging-environments-common';
import { EnvironmentRecordsApi } from '@internal/plugin-logging-environments-node';
import { recordForStep } from './records';
import { examples } from './registerCatalog.examples';

/**
 * Creates `logging:catalog:register`: registers the environment's
 * catalog-info.yaml as a catalog location, or finds it registered already.
 *
 * @public
 */
export function createRegisterCatalogAction(options: {
  catalog: CatalogService;
  records: EnvironmentRecordsApi;
}) {
  const { catalog } = options;
  return createTemplateAction({
    id: 'logging:catalog:register',
    description:
      "Registers the logging environment's catalog-info.yaml (a URL the catalog can read) as a catalog location. Unlike catalog:register, a location that is already registered is a success, while every other failure (an unreadable URL, a file without a logging environment) is an error. The environment must have a record the caller may bootstrap: the entity is only a view of it. Outputs the environment's entity ref.",
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        catalogInfoUrl: z =>
          z
            .string({ description: 'URL of the environment catalog-info.yaml' })
            .url(),
      },
      output: {
        entityRef: z =>
          z.string({ description: 'The logging environment entity' }),
        catalogInfoUrl: z => z.string({ description: 'The registered URL' }),
      },
    },
    async handler(ctx) {
      const target = ctx.input.catalogInfoUrl;
      if (ctx.isDryRun) {
        // In a dry run nothing was published, so there is nothing to read yet.
        ctx.logger.info(`Would register ${target}`);
        ctx.output('catalogInfoUrl', target);
        return;
      }
      const credentials = await ctx.getInitiatorCredentials();
      // A dry run of addLocation reads and parses the file without
      // registering it: it proves the catalog can read it, and names the
      // entity.
      const preview = await catalog.addLocation(
        { type: 'url', target, dryRun: true },
        { credentials },
      );
      const environment = preview.entities.find(
        e =>
          e.kind.toLocaleLowerCase('en-US') === 'resource' &&
          (e.spec as { type?: string } | undefined)?.type ===
            LOGGING_ENVIRONMENT_ENTITY_TYPE,
      );
      if (!environment) {
        throw new InputError(
          `catalogInfoUrl: ${target} holds no Resource of spec.type ${LOGGING_ENVIRONMENT_ENTITY_TYPE}`,
        );
      }
      const entityRef = stringifyEntityRef(environment);
      const record = await recordForStep(
        ctx,
        options.records,
        environment.metadata.name,
        { action: 'logging:catalog:register' },
      );
      if (record && record.entityRef !== entityRef.toLocaleLowerCase('en-US')) {
        throw new InputError(
          `catalogInfoUrl: ${target} holds ${entityRef}, but the record of ${record.name} is ${record.entityRef}`,
        );
      }
      const existing = await catalog.getLocationByRef(`url:${target}`, {
        credentials,
      });
      if (existing) {
        ctx.logger.info(`${target} is already registered (${entityRef})`);
      } else {
        await ctx.checkpoint({
          key: `logging:catalog:register/${target}`,
          fn: async () => {
            await catalog.addLocation({ type: 'url', target }, { credentials });
          },
        });
        ctx.logger.info(`Registered ${target} (${entityRef})`);
      }
      ctx.output('entityRef', entityRef);
      ctx.output('catalogInfoUrl', target);
    },
  });
}
