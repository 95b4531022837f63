/**
 * The Dockerfiles under srcs/ read as data: by the static checks (test/images.test.ts) and by the CI
 * cluster's image builder (.ci/cluster/build-image, through .ci/cluster/dockerfile-steps.ts), so
 * that both read an instruction the same way.
 */
export interface Instruction {
  readonly keyword: string;
  readonly args: string;
  readonly line: number;
}

/** A Dockerfile's instructions: comment lines dropped (also inside continuations), continuations joined. */
export function parseDockerfile(text: string): Instruction[] {
  const instructions: Instruction[] = [];
  let pending = '';
  let start = 0;
  text.split('\n').forEach((raw, index) => {
    if (/^\s*#/.test(raw) || (pending === '' && raw.trim() === '')) return;
    if (pending === '') start = index + 1;
    const continued = /\\\s*$/.test(raw);
    pending += `${continued ? raw.replace(/\\\s*$/, '') : raw} `;
    if (!continued) {
      const [, keyword, args] = /^\s*(\S+)\s*(.*)$/s.exec(pending) ?? [];
      instructions.push({ keyword: keyword.toUpperCase(), args: args.trim(), line: start });
      pending = '';
    }
  });
  return instructions;
}

/** The package names of every `apk add` in a RUN command (options, `--virtual NAME` and version pins removed). */
export function apkAddPackages(run: string): string[] {
  const packages: string[] = [];
  for (const command of run.split(/&&|\|\||;|\|/)) {
    const words = command.trim().split(/\s+/);
    if (words[0] !== 'apk' || words[1] !== 'add') continue;
    for (let i = 2; i < words.length; i += 1) {
      const word = words[i];
      if (['--virtual', '-t', '--repository', '-X'].includes(word)) { i += 1; continue; }
      if (word.startsWith('-') || word === '') continue;
      packages.push(word.replace(/[=<>~].*$/, ''));
    }
  }
  return packages;
}
