/**
 * Static checks of the image sources under srcs/ (S2, K2): what can be proven without building an
 * image. Node only, so they run in `npm test` on any machine.
 */
import * as fs from 'fs';
import * as path from 'path';
import { filesUnder } from '../lib/files';
import { apkAddPackages, parseDockerfile } from './support/dockerfile';

const ROOT = path.resolve(__dirname, '..');
const SRCS = path.join(ROOT, 'srcs');
// The Alpine 3.22 package names checked against aports, with the commit they were checked at.
const ALPINE_PACKAGES = path.join(ROOT, 'data', 'alpine-3.22-packages.json');
const ALPINE = 'alpine:3.22';

interface AlpinePackages {
  readonly release: string;
  readonly aports: { readonly repository: string; readonly branch: string; readonly commit: string };
  /** package name → the aports directory that builds it (`main/nginx`, `community/php83`). */
  readonly packages: Readonly<Record<string, string>>;
  /** names Alpine 3.22 does not ship, with why. */
  readonly absent: Readonly<Record<string, string>>;
}

const alpine: AlpinePackages = JSON.parse(fs.readFileSync(ALPINE_PACKAGES, 'utf8'));
const knownAlpineNames = new Set(Object.keys(alpine.packages));

/** True when a RUN that downloads something also verifies it (checksum or signature) itself. */
export function downloadsVerified(run: string): boolean {
  const downloads = /\b(curl|wget)\b/.test(run) && /https?:\/\//.test(run);
  return !downloads || /\bsha(1|256|384|512)sum\b[^;&|]*\s-c\b|\bgpg\b[^;&|]*--verify\b/.test(run);
}

/** Lines that look like a committed credential: a private key, or a password/secret/token given a literal value. */
export function secretLookingLines(text: string): string[] {
  return text.split('\n').filter((line) =>
    /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(line)
    // A value that is not a variable, a command substitution, a function call or a template token.
    || /(password|passwd|secret|token)\w*["']?\s*(=|:|=>)\s*["']?[A-Za-z0-9!#%+/._~-]{4,}/i.test(line)
      && !/(password|passwd|secret|token)\w*["']?\s*(=|:|=>)\s*["']?([$@(]|[A-Za-z_][A-Za-z0-9_]*\s*\()/i.test(line));
}

/** True when a line pins something to "latest" (an image tag, a download URL or file name). */
export function mentionsLatest(line: string): boolean {
  return /:latest\b|\/latest(\/|\.|\b)|[-_]latest\./i.test(line);
}

const dockerfiles = fs.readdirSync(SRCS, { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && fs.existsSync(path.join(SRCS, entry.name, 'Dockerfile')))
  .map((entry) => path.join(SRCS, entry.name, 'Dockerfile'));
const relative = (file: string) => path.relative(ROOT, file);

describe('the checkers themselves', () => {
  test('S2 they catch an unknown package, an unverified download, a latest tag and a password literal', () => {
    const bad = parseDockerfile([
      'FROM alpine:latest',
      'RUN apk add --no-cache --virtual .tools curl \\',
      '    # a comment inside the command',
      '    && apk add made-up-package=1.0 \\',
      '    && curl -fsSLO https://example.test/tool.tar.gz',
      'ENV ADMIN_PASSWORD=hunter22',
    ].join('\n'));
    expect(bad.map((i) => i.keyword)).toEqual(['FROM', 'RUN', 'ENV']);
    expect(apkAddPackages(bad[1].args)).toEqual(['curl', 'made-up-package']);
    expect(knownAlpineNames.has('made-up-package')).toBe(false);
    expect(['curl', 'php83-fpm', 'mariadb-client', 'vsftpd'].filter((name) => !knownAlpineNames.has(name))).toEqual([]);
    expect(downloadsVerified(bad[1].args)).toBe(false);
    expect(downloadsVerified(`${bad[1].args} && echo "abc  tool.tar.gz" | sha256sum -c -`)).toBe(true);
    expect(secretLookingLines('ENV ADMIN_PASSWORD=hunter22\npassword="$(cat /run/secrets/x)"\n$password = @file_get_contents($p);'))
      .toEqual(['ENV ADMIN_PASSWORD=hunter22']);
    expect(mentionsLatest(bad[0].args)).toBe(true);
    expect(mentionsLatest('curl -O https://wordpress.org/latest.tar.gz')).toBe(true);
    expect(mentionsLatest('FROM alpine:3.22')).toBe(false);
    expect(secretLookingLines('-----BEGIN OPENSSH PRIVATE KEY-----')).toHaveLength(1);
  });

  test('S2 the package list is for the release the images use, names the aports commit, and keeps out what Alpine lacks', () => {
    expect(`alpine:${alpine.release}`).toBe(ALPINE);
    expect(alpine.aports).toMatchObject({ repository: 'alpinelinux/aports', branch: `${alpine.release}-stable` });
    expect(alpine.aports.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(Object.values(alpine.packages).filter((origin) => !/^(main|community)\/[a-z0-9._+-]+$/.test(origin))).toEqual([]);
    expect(Object.keys(alpine.absent).filter((name) => knownAlpineNames.has(name))).toEqual([]);
  });
});

describe('Dockerfiles under srcs/', () => {
  test.each(dockerfiles.map((file) => [relative(file), file]))(`S2 %s starts FROM ${ALPINE} and uses no other base`, (_name, file) => {
    const instructions = parseDockerfile(fs.readFileSync(file, 'utf8'));
    expect(instructions[0]).toMatchObject({ keyword: 'FROM' });
    for (const from of instructions.filter((i) => i.keyword === 'FROM')) {
      expect(from.args.split(/\s+/)[0]).toBe(ALPINE);
    }
  });

  test.each(dockerfiles.map((file) => [relative(file), file]))('S2 every package %s installs with apk add is a verified Alpine 3.22 name (data/alpine-3.22-packages.json)', (_name, file) => {
    const packages = parseDockerfile(fs.readFileSync(file, 'utf8')).filter((i) => i.keyword === 'RUN').flatMap((i) => apkAddPackages(i.args));
    expect(packages.length).toBeGreaterThan(0);
    expect(packages.filter((name) => !knownAlpineNames.has(name))).toEqual([]);
  });

  test.each(dockerfiles.map((file) => [relative(file), file]))('S2 every download in %s is verified (checksum or signature) in the same RUN', (_name, file) => {
    const instructions = parseDockerfile(fs.readFileSync(file, 'utf8'));
    expect(instructions.filter((i) => i.keyword === 'RUN' && !downloadsVerified(i.args)).map((i) => `line ${i.line}`)).toEqual([]);
    // ADD from a URL would download outside any RUN's checks.
    expect(instructions.filter((i) => i.keyword === 'ADD' && /https?:\/\//.test(i.args)).map((i) => `line ${i.line}`)).toEqual([]);
  });
});

describe('every file under srcs/', () => {
  const files = filesUnder(SRCS).map((file) => path.join(SRCS, file));

  test('S2 no image, package or download is pinned to "latest"', () => {
    const offenders = files.flatMap((file) => fs.readFileSync(file, 'utf8').split('\n')
      .map((line, index) => ({ line, where: `${relative(file)}:${index + 1}` }))
      .filter(({ line }) => mentionsLatest(line)));
    expect(offenders).toEqual([]);
  });

  test('K2 no file holds a private key or a password literal', () => {
    const offenders = files.flatMap((file) => secretLookingLines(fs.readFileSync(file, 'utf8')).map((line) => `${relative(file)}: ${line.trim()}`));
    expect(offenders).toEqual([]);
  });
});
