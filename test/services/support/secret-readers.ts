/**
 * Who can read which Secret file in a running container (B15): every mounted Secret file and every
 * copy an entrypoint handed over (srcs/common/hand-over), opened by a process of each unprivileged
 * user of the image, against what the chart declares (lib/services/<service>.ts secretReaders,
 * passed to the image as `<READER>_HANDED`).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { readerHandedVariable, SECRET_READERS, SecretReader } from '../../../lib/secrets';
import { OUTPUT_ROOT } from './harness';

/** user → the files it can read, each named `mounted/<name>/<key>`, `<reader>/<name>/<key>` (a copy) or as the caller labels it. */
export type ReadersTable = Record<string, string[]>;

/** The `<name>/<key>` files of a Secrets folder laid out as the kubelet mounts it (its `..data` links skipped). */
export function secretFilesIn(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((name) => !name.startsWith('..')).sort().flatMap((name) => fs.readdirSync(path.join(dir, name))
    .filter((key) => !key.startsWith('..')).sort().map((key) => `${name}/${key}`));
}

/**
 * Of `files` (label → path), those `user` can read: each opened by `cat` run as the user, its
 * primary group and its supplementary groups (setpriv --init-groups), as su-exec and php-fpm drop
 * to it, with no capability left.
 */
export function readableBy(user: string, files: Readonly<Record<string, string>>): string[] {
  const gid = spawnSync('id', ['-g', user], { encoding: 'utf8' });
  if (gid.status !== 0) throw new Error(`no user ${user} on this machine: ${gid.stderr}`);
  const labels = Object.keys(files);
  const result = spawnSync('setpriv', ['--reuid', user, '--regid', gid.stdout.trim(), '--init-groups', '--inh-caps=-all', '--bounding-set=-all',
    'sh', '-c', 'i=0; for file do i=$((i + 1)); if cat -- "$file" >/dev/null 2>&1; then echo "$i"; fi; done', 'sh', ...labels.map((label) => files[label])],
  { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`setpriv as ${user} failed: ${result.stderr}`);
  return result.stdout.split('\n').filter(Boolean).map((n) => labels[Number(n) - 1]).sort();
}

/** Every file a test reads as each user: the mounted Secrets as `mounted/<name>/<key>`, each reader's copies as `<reader>/<name>/<key>`. */
export function secretLocations(env: Readonly<Record<string, string>>): Record<string, string> {
  const secretsDir = env.SECRETS_DIR ?? '/run/secrets';
  const handedDir = env.HANDED_DIR;
  return Object.fromEntries([
    ...secretFilesIn(secretsDir).map((file) => [`mounted/${file}`, path.join(secretsDir, file)]),
    ...(handedDir === undefined ? [] : SECRET_READERS.flatMap((reader) => secretFilesIn(path.join(handedDir, reader))
      .map((file) => [`${reader}/${file}`, path.join(handedDir, reader, file)]))),
  ]);
}

/** The table seen: what each of `users` can read of `files`. */
export function readersTable(users: readonly string[], files: Readonly<Record<string, string>>): ReadersTable {
  return Object.fromEntries([...new Set(users)].sort().map((user) => [user, readableBy(user, files)]));
}

/**
 * The table the chart allows: each reader's user reads its copies of the files `<READER>_HANDED`
 * names, and nothing else; no user reads a mounted Secret. `extra` adds files an image hands over
 * of its own making (mysql's client options), by user.
 */
export function allowedTable(env: Readonly<Record<string, string>>, users: readonly string[], readerUsers: Partial<Record<SecretReader, string>>,
  extra: Readonly<Record<string, readonly string[]>> = {}): ReadersTable {
  const allowed = Object.fromEntries([...new Set(users)].sort().map((user) => [user, [...(extra[user] ?? [])]]));
  for (const reader of SECRET_READERS) {
    const files = (env[readerHandedVariable(reader)] ?? '').split(' ').filter(Boolean);
    const user = readerUsers[reader];
    if (files.length === 0) continue;
    if (user === undefined || allowed[user] === undefined) throw new Error(`${readerHandedVariable(reader)} names files for ${reader}, whose user ${user} is not among ${users.join(', ')}`);
    allowed[user].push(...files.map((file) => `${reader}/${file}`));
  }
  for (const user of Object.keys(allowed)) allowed[user].sort();
  return allowed;
}

/** Each reader's copies hold exactly what the mounted Secret file holds (read as root). */
export function copiesDiffering(env: Readonly<Record<string, string>>): string[] {
  const files = secretLocations(env);
  return Object.keys(files).filter((label) => !label.startsWith('mounted/')).filter((label) => {
    const mounted = files[`mounted/${label.slice(label.indexOf('/') + 1)}`];
    return mounted === undefined || !fs.readFileSync(mounted).equals(fs.readFileSync(files[label]));
  });
}

/** What an image's test compares: the table seen and the table allowed, the first also written to test-output/secret-readers/<image>.json. */
export function secretReaders(image: string, options: {
  /** The entrypoint's environment (SECRETS_DIR, HANDED_DIR, `<READER>_HANDED`). */
  readonly env: Readonly<Record<string, string>>;
  /** Every unprivileged user a process of the image runs as, and nobody. */
  readonly users: readonly string[];
  /** Who each reader is in this image. */
  readonly readerUsers?: Partial<Record<SecretReader, string>>;
  /** Files of the image's own making from a Secret (label → path), and who alone may read them (label → user). */
  readonly madeFiles?: Readonly<Record<string, { readonly path: string; readonly user: string }>>;
}): { seen: ReadersTable; allowed: ReadersTable } {
  const made = Object.entries(options.madeFiles ?? {});
  const files = { ...secretLocations(options.env), ...Object.fromEntries(made.map(([label, file]) => [label, file.path])) };
  const extra: Record<string, string[]> = {};
  for (const [label, file] of made) (extra[file.user] ??= []).push(label);
  const seen = readersTable(options.users, files);
  const folder = path.join(OUTPUT_ROOT, 'secret-readers');
  fs.mkdirSync(folder, { recursive: true });
  fs.writeFileSync(path.join(folder, `${image}.json`), `${JSON.stringify({ files: Object.keys(files), seen }, null, 2)}\n`);
  return { seen, allowed: allowedTable(options.env, options.users, options.readerUsers ?? {}, extra) };
}
