/**
 * A Dockerfile read into stages and instructions, and a structural lint of
 * what matters for this image (hadolint is not on the machine): the rules
 * below are the subset of hadolint's and the Backstage docs' advice that
 * a mistake here would break.
 */

/** One instruction: its keyword, `--flag=value` options and the rest. */
export interface Instruction {
  line: number;
  keyword: string;
  flags: Record<string, string>;
  args: string;
}

/** One build stage: its `FROM` and the instructions after it. */
export interface Stage {
  from: Instruction;
  image: string;
  name?: string;
  instructions: Instruction[];
}

/** Splits a Dockerfile into instructions (comments dropped, `\` continuations joined). */
export function parseDockerfile(text: string): Stage[] {
  const instructions: Instruction[] = [];
  let buffer = '';
  let start = 0;
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!buffer && (line === '' || line.startsWith('#'))) return;
    if (buffer && line.startsWith('#')) return; // a comment inside a continuation
    if (!buffer) start = i + 1;
    if (line.endsWith('\\')) {
      buffer += `${line.slice(0, -1).trim()} `;
      return;
    }
    const whole = `${buffer}${line}`.trim();
    buffer = '';
    const [keyword, ...rest] = whole.split(/\s+/);
    const flags: Record<string, string> = {};
    let args = rest.join(' ');
    for (;;) {
      const flag = /^--([\w-]+)(?:=(\S+))?\s*/.exec(args);
      if (!flag) break;
      flags[flag[1]] = flag[2] ?? 'true';
      args = args.slice(flag[0].length);
    }
    instructions.push({
      line: start,
      keyword: keyword.toUpperCase(),
      flags,
      args,
    });
  });
  const stages: Stage[] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') {
      const [image, as, name] = instruction.args.split(/\s+/);
      stages.push({
        from: instruction,
        image,
        name: as?.toUpperCase() === 'AS' ? name : undefined,
        instructions: [],
      });
    } else if (stages.length > 0) {
      stages[stages.length - 1].instructions.push(instruction);
    }
  }
  return stages;
}

/** `KEY=value` pairs of an `ENV` or `ARG` instruction (quotes removed). */
export function assignments(instruction: Instruction): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /([\w.-]+)(?:=("[^"]*"|'[^']*'|\S*))?/g;
  for (const m of instruction.args.matchAll(re)) {
    out[m[1]] = (m[2] ?? '').replace(/^["']|["']$/g, '');
  }
  return out;
}

const SECRET_NAME =
  /(PASSWORD|SECRET|TOKEN|PRIVATE_?KEY|ACCESS_?KEY|CREDENTIAL)/i;

/**
 * What is wrong with a Dockerfile, as `line N: rule` strings; empty when
 * nothing is. The final stage is the image that runs.
 */
export function lintDockerfile(text: string): string[] {
  const problems: string[] = [];
  const stages = parseDockerfile(text);
  if (stages.length === 0) return ['no FROM'];
  const stageNames = new Set(stages.map(s => s.name).filter(Boolean));
  for (const stage of stages) {
    const { image, from } = stage;
    if (!stageNames.has(image)) {
      const tag = /^[^@]+:([^/@]+)$/.exec(image.split('@')[0])?.[1];
      if (!image.includes('@') && !tag) {
        problems.push(`line ${from.line}: ${image} has no tag (pin one)`);
      } else if (tag === 'latest') {
        problems.push(`line ${from.line}: ${image} uses the latest tag`);
      }
    }
    let user = 'root';
    for (const instruction of stage.instructions) {
      const where = `line ${instruction.line}`;
      switch (instruction.keyword) {
        case 'USER':
          user = instruction.args.split(':')[0];
          break;
        case 'ADD':
          problems.push(
            `${where}: ADD (use COPY; ADD fetches URLs and unpacks)`,
          );
          break;
        case 'COPY':
          if (user !== 'root' && !instruction.flags.chown) {
            problems.push(`${where}: COPY as ${user} without --chown`);
          }
          break;
        case 'ENV':
        case 'ARG':
          for (const [key, value] of Object.entries(assignments(instruction))) {
            if (SECRET_NAME.test(key) && value !== '') {
              problems.push(
                `${where}: ${instruction.keyword} ${key} holds a secret`,
              );
            }
          }
          break;
        case 'RUN':
          if (/apt-get install/.test(instruction.args)) {
            if (!/--no-install-recommends/.test(instruction.args)) {
              problems.push(
                `${where}: apt-get install without --no-install-recommends`,
              );
            }
            if (!/rm -rf \/var\/lib\/apt\/lists/.test(instruction.args)) {
              problems.push(`${where}: apt lists left in the layer`);
            }
          }
          if (/\bsudo\b|curl[^|]*\|\s*(ba)?sh/.test(instruction.args)) {
            problems.push(`${where}: sudo or a piped installer`);
          }
          break;
        case 'CMD':
        case 'ENTRYPOINT':
          if (!instruction.args.startsWith('[')) {
            problems.push(
              `${where}: ${instruction.keyword} in shell form (signals would reach the shell, not node)`,
            );
          }
          break;
        default:
      }
    }
    if (stage === stages[stages.length - 1] && ['root', '0'].includes(user)) {
      problems.push(`line ${from.line}: the final stage runs as root`);
    }
  }
  if (!stages[stages.length - 1].instructions.some(i => i.keyword === 'CMD')) {
    problems.push('the final stage has no CMD');
  }
  return problems;
}
