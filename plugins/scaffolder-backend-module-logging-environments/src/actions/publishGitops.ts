import { resolveSafeChildPath } from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import {
  cloneRepo,
  commitAndPushRepo,
  createTemplateAction,
} from '@backstage/plugin-scaffolder-node';
import git from 'isomorphic-git';
import fs from 'node:fs';
import { cp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { EnvironmentRecordsApi } from '@internal/plugin-logging-environments-node';
import { examples } from './publishGitops.examples';
import { recordForStep } from './records';
import { environmentField } from './inputs';
import { assertEnvironmentName } from './util';

/** Every file below a directory, by relative path. */
async function files(dir: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  const walk = async (d: string) => {
    let names: string[] = [];
    try {
      names = await readdir(d);
    } catch {
      return;
    }
    for (const name of names) {
      const p = join(d, name);
      if ((await stat(p)).isDirectory()) await walk(p);
      else out.set(relative(dir, p), await readFile(p));
    }
  };
  await walk(dir);
  return out;
}

function same(a: Map<string, Buffer>, b: Map<string, Buffer>) {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) {
    const w = b.get(k);
    if (!w || !v.equals(w)) return false;
  }
  return true;
}

/**
 * Creates `logging:gitops:publish`: commits a rendered directory of the
 * workspace to the GitOps repository's branch (replacing what was at that
 * path), or changes nothing when the content is the same.
 *
 * @public
 */
export function createPublishGitopsAction(options: {
  gitops: {
    repoUrl: string;
    branch: string;
    username?: string;
    password?: string;
    /** Base URL under which Backstage can read files of the branch. */
    browseUrl?: string;
  };
  records: EnvironmentRecordsApi;
}) {
  const { gitops } = options;
  return createTemplateAction({
    id: 'logging:gitops:publish',
    description:
      "Commits a rendered directory of the task workspace to the configured GitOps repository and branch (loggingEnvironments.gitops), replacing that path's previous content; only under the environment's own path (environments/<environment>) and only for someone who may run its bootstrap; a run with unchanged content makes no commit. Outputs the commit, which pins the revision Argo CD syncs. For review-based flows, publish with a pull-request action instead (e.g. publish:github:pull-request).",
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        environment: environmentField(
          'Environment name: only its path in the repository is written',
        ),
        sourcePath: z =>
          z.string({
            description:
              'Directory in the workspace to publish, e.g. environments/acme-prod',
          }),
        targetPath: z =>
          z
            .string({
              description:
                'Path in the repository, environments/<environment> or below (default: environments/<environment>)',
            })
            .optional(),
        commitMessage: z => z.string({ description: 'Commit message' }),
      },
      output: {
        commitHash: z =>
          z.string({ description: 'The commit that holds the content' }),
        repoUrl: z => z.string({ description: 'The repository' }),
        branch: z => z.string({ description: 'The branch' }),
        changed: z =>
          z.boolean({ description: 'Whether a new commit was made' }),
        catalogInfoUrl: z =>
          z
            .string({
              description:
                'URL of <targetPath>/catalog-info.yaml, when gitops.browseUrl is configured',
            })
            .optional(),
      },
    },
    async handler(ctx) {
      assertEnvironmentName('logging:gitops:publish', ctx.input.environment);
      const home = `environments/${ctx.input.environment}`;
      const targetPath = ctx.input.targetPath ?? home;
      let source: string;
      try {
        source = resolveSafeChildPath(ctx.workspacePath, ctx.input.sourcePath);
      } catch {
        throw new InputError(
          `sourcePath: must be a path inside the task workspace, not "${ctx.input.sourcePath}"`,
        );
      }
      if (
        !/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/.test(targetPath) ||
        targetPath.split('/').some(s => s === '..' || s === '.')
      ) {
        throw new InputError(
          `targetPath: must be a relative path of plain segments, not "${targetPath}"`,
        );
      }
      if (targetPath !== home && !targetPath.startsWith(`${home}/`)) {
        throw new InputError(
          `targetPath: an environment's bootstrap publishes only under its own path ${home}/, not "${targetPath}"`,
        );
      }
      const record = await recordForStep(
        ctx,
        options.records,
        ctx.input.environment,
        { action: 'logging:gitops:publish' },
      );
      if (record && record.gitopsPath !== home) {
        throw new InputError(
          `targetPath: the record of ${record.name} places it at ${record.gitopsPath}`,
        );
      }
      const wanted = await files(source);
      if (wanted.size === 0) {
        throw new InputError(
          `sourcePath: "${ctx.input.sourcePath}" has no files (did the render step run?)`,
        );
      }
      const auth = {
        username: gitops.username ?? 'backstage',
        password: gitops.password ?? '',
      };
      const dir = await ctx.createTemporaryDirectory();
      await cloneRepo({
        url: gitops.repoUrl,
        dir,
        auth,
        logger: ctx.logger,
        ref: gitops.branch,
      });
      const target = resolveSafeChildPath(dir, targetPath);
      const current = await files(target);
      const catalogInfoUrl = gitops.browseUrl
        ? `${gitops.browseUrl.replace(
            /\/+$/,
            '',
          )}/${targetPath}/catalog-info.yaml`
        : undefined;
      const output = (commitHash: string, changed: boolean) => {
        ctx.output('commitHash', commitHash);
        ctx.output('repoUrl', gitops.repoUrl);
        ctx.output('branch', gitops.branch);
        ctx.output('changed', changed);
        if (catalogInfoUrl) ctx.output('catalogInfoUrl', catalogInfoUrl);
      };

      if (same(wanted, current)) {
        const head = await git.resolveRef({ fs, dir, ref: 'HEAD' });
        ctx.logger.info(
          `${targetPath} in ${gitops.repoUrl}@${gitops.branch} is already up to date (${head})`,
        );
        output(head, false);
        return;
      }
      if (ctx.isDryRun) {
        ctx.logger.info(
          `Would commit ${wanted.size} file(s) to ${targetPath} in ${gitops.repoUrl}@${gitops.branch}`,
        );
        output('dry-run', true);
        return;
      }
      const { commitHash } = await ctx.checkpoint({
        key: `logging:gitops:publish/${targetPath}`,
        fn: async () => {
          await rm(target, { recursive: true, force: true });
          await cp(source, target, { recursive: true });
          return commitAndPushRepo({
            dir,
            auth,
            logger: ctx.logger,
            commitMessage: ctx.input.commitMessage,
            gitAuthorInfo: {
              name: 'Backstage Logging Environments',
              email: 'noreply@backstage.io',
            },
            branch: gitops.branch,
            remoteRef: `refs/heads/${gitops.branch}`,
          });
        },
      });
      ctx.logger.info(
        `Committed ${targetPath} to ${gitops.repoUrl}@${gitops.branch}: ${commitHash}`,
      );
      output(commitHash, true);
    },
  });
}
