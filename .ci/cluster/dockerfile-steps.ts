/**
 * Prints a Dockerfile's instructions as JSON lines for .ci/cluster/build-image (B14): keyword, args,
 * line and, for RUN, the packages its `apk add` commands name. Parsed by the same code as the
 * static checks of srcs/ (test/support/dockerfile.ts), so the builder follows what they check.
 *   ts-node --transpile-only .ci/cluster/dockerfile-steps.ts DOCKERFILE
 */
import * as fs from 'fs';
import { apkAddPackages, parseDockerfile } from '../../test/support/dockerfile';

const [file] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: dockerfile-steps.ts DOCKERFILE\n');
  process.exit(2);
}
for (const instruction of parseDockerfile(fs.readFileSync(file, 'utf8'))) {
  const apk = instruction.keyword === 'RUN' ? apkAddPackages(instruction.args) : [];
  process.stdout.write(`${JSON.stringify({ ...instruction, apk })}\n`);
}
