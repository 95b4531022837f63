/** D1: the project has the layout of `cdk8s init typescript-app`, on the pinned toolchain. */
import * as fs from 'fs';
import * as path from 'path';
import * as YAML from 'yaml';
import { filesUnder } from '../lib/files';

const ROOT = path.resolve(__dirname, '..');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const allDependencies: Record<string, string> = { ...pkg.dependencies, ...pkg.devDependencies };

test('D1 the top level has the cdk8s app layout', () => {
  for (const entry of ['package.json', 'package-lock.json', 'cdk8s.yaml', 'tsconfig.json', 'main.ts', 'lib', 'imports', 'dist', 'test']) {
    expect(fs.existsSync(path.join(ROOT, entry))).toBe(true);
  }
  expect(fs.readdirSync(path.join(ROOT, 'imports'))).toContain('metallb.io.ts');
});

test('D1 it is built on cdk8s, cdk8s-plus-27 and constructs, tested with jest + ts-jest, run with ts-node', () => {
  expect(Object.keys(pkg.dependencies)).toEqual(expect.arrayContaining(['cdk8s', 'cdk8s-plus-27', 'constructs']));
  expect(Object.keys(pkg.devDependencies)).toEqual(expect.arrayContaining(['jest', 'ts-jest', 'ts-node', 'typescript', 'cdk8s-cli']));
  expect(YAML.parse(fs.readFileSync(path.join(ROOT, 'cdk8s.yaml'), 'utf8'))).toMatchObject({ language: 'typescript', app: 'npx ts-node main.ts' });
});

test('D1 every dependency is pinned to an exact version, on TypeScript 5 and jest 29', () => {
  const unpinned = Object.entries(allDependencies).filter(([, version]) => !/^\d+\.\d+\.\d+$/.test(version));
  expect(unpinned).toEqual([]);
  expect(allDependencies.typescript).toMatch(/^5\./);
  expect(allDependencies.jest).toMatch(/^29\./);
  expect(allDependencies['ts-jest']).toMatch(/^29\./);
});

test('D1 the scripts of the cdk8s template are there, and npm test runs jest', () => {
  expect(Object.keys(pkg.scripts)).toEqual(expect.arrayContaining(['import', 'synth', 'compile', 'test']));
  expect(pkg.scripts.test).toBe('jest');
  // B13: the synth a user runs never asks npm whether cdk8s has a newer version.
  expect(pkg.scripts.synth).toBe('cdk8s synth --check-upgrade=false');
});

test('D1 the TypeScript compiler is strict', () => {
  const tsconfig = JSON.parse(fs.readFileSync(path.join(ROOT, 'tsconfig.json'), 'utf8'));
  expect(tsconfig.compilerOptions).toMatchObject({ strict: true, noUnusedLocals: true, noImplicitReturns: true });
});

/** Folders that are not the project's own files: installed, generated at run time, or git's. */
const NOT_OURS = new Set(['.git', 'node_modules', 'build', 'cdk8s.out', 'test-output', '.ft']);

/** Every file of the project below `dir` (what a clone holds, plus untracked work). */
const projectFiles = (dir = ROOT) => filesUnder(dir, NOT_OURS).map((file) => path.join(dir, file));

// A shared/ folder one level up, in any spelling: a relative path, or path.join/resolve segments.
const BESIDE_THE_CHECKOUT = /\.\.[/\\]shared\b|['"`]\.\.['"`]\s*,\s*['"`]shared['"`]/;

test('B12 no project file reads or points to a shared/ folder beside the checkout, so a lone clone passes', () => {
  const files = projectFiles();
  expect(files.length).toBeGreaterThan(50);
  const offenders = files.flatMap((file) => fs.readFileSync(file, 'latin1').split('\n')
    .flatMap((line, index) => (BESIDE_THE_CHECKOUT.test(line) ? [`${path.relative(ROOT, file)}:${index + 1}`] : [])));
  expect(offenders).toEqual([]);
  const up = '..';
  expect([`${up}/shared/x.md`, `path.resolve(ROOT, '${up}', 'shared')`, `path.join(__dirname, "${up}", "shared", "y")`]
    .filter((line) => !BESIDE_THE_CHECKOUT.test(line))).toEqual([]);
});

test('B12 every requirement ID a test names is explained in docs/requirements.md', () => {
  const explained = new Set([...fs.readFileSync(path.join(ROOT, 'docs', 'requirements.md'), 'utf8')
    .matchAll(/^\| ([SDKB]\d+) \|/gm)].map((match) => match[1]));
  expect(explained.size).toBe(39);
  const named = new Set(projectFiles(path.join(ROOT, 'test')).filter((file) => file.endsWith('.test.ts'))
    .flatMap((file) => [...fs.readFileSync(file, 'utf8').matchAll(/\b(?:test|it|describe)(?:\.each\([^)]*\))?\(\s*[`'"]([SDKB]\d+) /g)].map((match) => match[1])));
  expect(named.size).toBeGreaterThan(20);
  expect([...named].filter((id) => !explained.has(id)).sort()).toEqual([]);
});
