/**
 * The image cannot be built here (no Docker engine), so this keeps
 * packages/backend/Dockerfile honest: it must build and start the backend
 * with the steps `yarn start:production` runs (scripts/start-production.js,
 * whose PRODUCTION_LAYOUT both follow), copy nothing .dockerignore drops,
 * and pass a structural lint.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import {
  Instruction,
  Stage,
  assignments,
  lintDockerfile,
  parseDockerfile,
} from './__testUtils__/dockerfile';

const ROOT = resolve(__dirname, '../../../..');

interface ProductionLayout {
  installFiles: string[];
  skeleton: string;
  install: string[];
  bundle: string;
  runFiles: string[];
  env: Record<string, string>;
  command: string[];
}

const { PRODUCTION_LAYOUT: layout } = createRequire(__filename)(
  resolve(ROOT, 'scripts/start-production.js'),
) as { PRODUCTION_LAYOUT: ProductionLayout };

const dockerfile = readFileSync(
  resolve(ROOT, 'packages/backend/Dockerfile'),
  'utf8',
);
const stages = parseDockerfile(dockerfile);
const buildStage = stages[0];
const finalStage = stages[stages.length - 1];

const basename = (path: string) => path.split('/').pop()!;

/** `COPY` sources (the last word is the destination). */
const sources = (i: Instruction) => i.args.split(/\s+/).slice(0, -1);
const destination = (i: Instruction) => i.args.split(/\s+/).pop()!;

/** Index of the first instruction of the stage that matches. */
function indexOf(stage: Stage, match: (i: Instruction) => boolean): number {
  const index = stage.instructions.findIndex(match);
  if (index < 0) {
    throw new Error(`stage ${stage.image}: no such instruction`);
  }
  return index;
}

const copies = (file: string) => (i: Instruction) =>
  i.keyword === 'COPY' && !i.flags.from && sources(i).includes(file);
const unpacks = (file: string) => (i: Instruction) =>
  i.keyword === 'RUN' && i.args.includes(`tar xzf ${basename(file)}`);

describe('packages/backend/Dockerfile', () => {
  it('passes the lint', () => {
    expect(lintDockerfile(dockerfile)).toEqual([]);
  });

  it('installs the way yarn start:production does', () => {
    expect(buildStage.name).toBe('build');
    // The install files and the skeleton, unpacked, then the install.
    for (const file of layout.installFiles) {
      const copy = indexOf(buildStage, copies(file));
      expect(destination(buildStage.instructions[copy])).toBe('./');
    }
    const skeleton = indexOf(buildStage, copies(layout.skeleton));
    const unpack = indexOf(buildStage, unpacks(layout.skeleton));
    const install = indexOf(
      buildStage,
      i => i.keyword === 'RUN' && i.args.includes(layout.install.join(' ')),
    );
    expect(skeleton).toBeLessThan(unpack);
    expect(unpack).toBeLessThan(install);
    expect(
      Math.max(...layout.installFiles.map(f => indexOf(buildStage, copies(f)))),
    ).toBeLessThan(install);
  });

  it('runs the way yarn start:production does', () => {
    // The installed dependencies from the build stage, then the bundle.
    const fromBuild = indexOf(
      finalStage,
      i => i.keyword === 'COPY' && i.flags.from === 'build',
    );
    const bundle = indexOf(finalStage, copies(layout.bundle));
    const unpack = indexOf(finalStage, unpacks(layout.bundle));
    expect(fromBuild).toBeLessThan(bundle);
    expect(bundle).toBeLessThan(unpack);
    // Each file read at run time, at the same path.
    for (const file of layout.runFiles) {
      const copy = finalStage.instructions[indexOf(finalStage, copies(file))];
      // Files at the root may go to ./, anything else keeps its path.
      const allowed = file.includes('/') ? [`./${file}`] : ['./', `./${file}`];
      expect(allowed).toContain(destination(copy));
    }
    const env = Object.assign(
      {},
      ...finalStage.instructions
        .filter(i => i.keyword === 'ENV')
        .map(assignments),
    );
    expect(env).toMatchObject(layout.env);
    const cmd = finalStage.instructions.filter(i => i.keyword === 'CMD');
    expect(cmd).toHaveLength(1);
    expect(JSON.parse(cmd[0].args)).toEqual(layout.command);
  });

  it('copies only files that exist or that yarn build:backend writes', () => {
    const built = [layout.skeleton, layout.bundle];
    for (const stage of stages) {
      for (const i of stage.instructions) {
        if (i.keyword !== 'COPY' || i.flags.from) continue;
        for (const source of sources(i)) {
          if (built.includes(source)) continue;
          expect([source, existsSync(resolve(ROOT, source))]).toEqual([
            source,
            true,
          ]);
        }
      }
    }
  });

  it('copies nothing .dockerignore leaves out of the build context', () => {
    const patterns = readFileSync(resolve(ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .map(l => l.trim())
      .filter(l => l && !l.startsWith('#'))
      .map(
        p =>
          new RegExp(
            `^${p
              .replace(/[.+?^${}()|[\]\\]/g, '\\$&')
              .replace(/\*/g, '[^/]*')}(/|$)`,
          ),
      );
    expect(patterns.length).toBeGreaterThan(0);
    const copied = stages.flatMap(s =>
      s.instructions
        .filter(i => i.keyword === 'COPY' && !i.flags.from)
        .flatMap(sources),
    );
    expect(copied).toContain(layout.bundle);
    for (const source of copied) {
      expect([
        source,
        patterns.filter(p => p.test(source)).map(String),
      ]).toEqual([source, []]);
    }
  });
});

describe('the Dockerfile lint', () => {
  const good = [
    'FROM node:24-trixie-slim',
    'USER node',
    'COPY --chown=node:node a ./',
    'CMD ["node", "."]',
  ];

  it('accepts a good file', () => {
    expect(lintDockerfile(good.join('\n'))).toEqual([]);
  });

  it.each([
    ['an untagged image', ['FROM node', ...good.slice(1)], 'has no tag'],
    ['the latest tag', ['FROM node:latest', ...good.slice(1)], 'latest tag'],
    ['root', good.filter(l => !l.startsWith('USER')), 'runs as root'],
    ['USER root at the end', [...good, 'USER root'], 'runs as root'],
    [
      'COPY without --chown',
      [...good.slice(0, 2), 'COPY a ./', good[3]],
      'without --chown',
    ],
    ['a secret in ENV', [...good, 'ENV GITOPS_TOKEN=abc'], 'holds a secret'],
    [
      'a secret in ARG',
      [...good, 'ARG POSTGRES_PASSWORD=abc'],
      'holds a secret',
    ],
    ['ADD', [...good, 'ADD https://x/y.tgz /app'], 'ADD'],
    [
      'apt-get without --no-install-recommends',
      [
        good[0],
        'RUN apt-get update && apt-get install -y g++ && rm -rf /var/lib/apt/lists/*',
        ...good.slice(1),
      ],
      '--no-install-recommends',
    ],
    [
      'CMD in shell form',
      [...good.slice(0, 3), 'CMD node packages/backend'],
      'shell form',
    ],
  ])('refuses %s', (_what, lines, rule) => {
    const problems = lintDockerfile(lines.join('\n'));
    expect(problems.join('\n')).toContain(rule);
  });
});
