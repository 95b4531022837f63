/**
 * srcs/common/run-together, the tiny init of the two-daemon containers (nginx + sshd, nginx +
 * php-fpm), run with Debian's dash as /bin/sh (the images run it with busybox ash under tini).
 * S11: the container must die, so that Kubernetes restarts it, as soon as one daemon dies; and a
 * normal stop must stop every daemon.
 */
import * as fs from 'fs';
import * as path from 'path';
import { scratchDir, Server, SRCS, startServer, stopAll, waitFor } from './support/harness';

const RUN_TOGETHER = path.join(SRCS, 'common', 'run-together');

let dir: string;

beforeAll(() => {
  dir = scratchDir('run-together');
});

afterAll(stopAll);

/** A long-running child that writes its own PID to `<name>.pid` first (`exec` keeps the PID). */
function child(name: string, setup = ''): string[] {
  return ['sh', '-c', `${setup} echo $$ > ${path.join(dir, `${name}.pid`)}; exec sleep 600`];
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Starts run-together with `commands` and waits until every child has written its PID. */
async function runTogether(test: string, commands: string[][], env: Record<string, string> = {}): Promise<{ init: Server; pids: number[] }> {
  const names = commands.map((_, i) => `${test}-${i}`);
  const args = commands.flatMap((command, i) => (i === 0 ? command : ['--', ...command]));
  const init = startServer({ name: `run-together ${test}`, command: 'sh', args: [RUN_TOGETHER, ...args], env, logFile: path.join(dir, `${test}.log`) });
  const pidFiles = names.map((name) => path.join(dir, `${name}.pid`));
  await waitFor(`${test}: children started`, () => pidFiles.every((file) => fs.existsSync(file) && fs.readFileSync(file, 'utf8').trim() !== ''), 10000);
  return { init, pids: pidFiles.map((file) => Number(fs.readFileSync(file, 'utf8').trim())) };
}

function commandsFor(test: string, setups: string[]): string[][] {
  return setups.map((setup, i) => child(`${test}-${i}`, setup));
}

test('S11 run-together exits non-zero and stops the other daemon when one is killed with SIGKILL', async () => {
  const { init, pids } = await runTogether('sigkill', commandsFor('sigkill', ['', '']));
  process.kill(pids[0], 'SIGKILL');
  const code = await init.waitForExit(10000);
  expect(code).not.toBe(0);
  expect(alive(pids[1])).toBe(false);
  expect(init.log()).toContain(`pid ${pids[0]} exited`);
});

test('S11 run-together exits non-zero when a daemon ends on its own, even with status 0', async () => {
  const { init, pids } = await runTogether('clean-exit', [
    ['sh', '-c', `echo $$ > ${path.join(dir, 'clean-exit-0.pid')}; sleep 1; exit 0`],
    child('clean-exit-1'),
  ]);
  const code = await init.waitForExit(10000);
  expect(code).not.toBe(0);
  expect(alive(pids[1])).toBe(false);
});

test('S11 run-together works with three daemons: killing the middle one stops the other two', async () => {
  const { init, pids } = await runTogether('three', commandsFor('three', ['', '', '']));
  process.kill(pids[1], 'SIGKILL');
  expect(await init.waitForExit(10000)).not.toBe(0);
  expect(pids.filter(alive)).toEqual([]);
});

test.each(['SIGTERM', 'SIGINT'] as const)('S11 %s to run-together stops both daemons and exits 0', async (signal) => {
  const { init, pids } = await runTogether(`stop-${signal}`, commandsFor(`stop-${signal}`, ['', '']));
  process.kill(init.pid, signal);
  expect(await init.waitForExit(10000)).toBe(0);
  expect(pids.filter(alive)).toEqual([]);
});

test('S11 run-together kills a daemon that ignores TERM once the grace period is over', async () => {
  const { init, pids } = await runTogether('grace', commandsFor('grace', ['trap "" TERM;', '']), { RUN_TOGETHER_GRACE: '1' });
  const started = Date.now();
  process.kill(init.pid, 'SIGTERM');
  expect(await init.waitForExit(10000)).toBe(0);
  expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  expect(pids.filter(alive)).toEqual([]);
  expect(init.log()).toContain(`pid ${pids[0]} still running 1s after its stop signal`);
});

/**
 * A child that writes to `<name>.signal` the name of the stop signal it got, QUIT or TERM, then
 * exits. Not a shell: run-together's commands are background jobs of a non-interactive shell, which
 * start with QUIT and INT ignored (POSIX, Shell Command Language 2.11), and a shell cannot trap a
 * signal ignored on entry; a program that installs its own handler, as nginx and php-fpm do, gets it.
 */
function signalRecorder(name: string): string[] {
  const file = (suffix: string) => JSON.stringify(path.join(dir, `${name}.${suffix}`));
  const record = (signal: string) => `process.on('SIG${signal}', () => { fs.writeFileSync(${file('signal')}, '${signal}'); process.exit(0); });`;
  return [process.execPath, '-e', `const fs = require('fs'); ${record('QUIT')} ${record('TERM')} fs.writeFileSync(${file('pid')}, String(process.pid)); setInterval(() => {}, 1000);`];
}

test('K8 run-together stops each command with the signal --stop-signal names before it, and TERM without it', async () => {
  const { init } = await runTogether('signals', [['--stop-signal=QUIT', ...signalRecorder('signals-0')], signalRecorder('signals-1')]);
  process.kill(init.pid, 'SIGTERM');
  expect(await init.waitForExit(10000)).toBe(0);
  const got = (name: string) => fs.readFileSync(path.join(dir, `${name}.signal`), 'utf8').trim();
  expect([got('signals-0'), got('signals-1')]).toEqual(['QUIT', 'TERM']);
});

test('K8 run-together refuses a stop signal other than TERM, QUIT or INT, before it starts anything', async () => {
  const init = startServer({ name: 'run-together bad-signal', command: 'sh', args: [RUN_TOGETHER, '--stop-signal=KILL', 'sleep', '600'], logFile: path.join(dir, 'bad-signal.log') });
  expect(await init.waitForExit(10000)).toBe(2);
  expect(init.log()).toContain('SIG: TERM, QUIT or INT');
  expect(init.log()).not.toContain('started');
});

test('S11 B15 run-together exits non-zero and stops the other daemon when one is stopped with SIGSTOP (a server that answers nothing)', async () => {
  const { init, pids } = await runTogether('sigstop', commandsFor('sigstop', ['', '']));
  process.kill(pids[0], 'SIGSTOP');
  const code = await init.waitForExit(10000);
  expect(code).not.toBe(0);
  expect(pids.filter(alive)).toEqual([]);
  expect(init.log()).toContain(`pid ${pids[0]} is stopped (SIGSTOP)`);
});
