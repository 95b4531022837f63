/**
 * Probes check one behaviour of a running service from the outside. The same probe functions run
 * against real servers on loopback in CI (`npm run test:services`, requirement B5) and against the
 * live cluster in `./setup.sh check` (requirement B6): only the endpoints and credentials differ.
 */

/** The outcome of one probe. */
export interface ProbeResult {
  /** The requirement the probe proves, e.g. `S7`. */
  readonly requirement: string;
  /** What was checked, e.g. `http://IP/ answers 301 to https`. */
  readonly title: string;
  readonly ok: boolean;
  /** What was seen: enough for a person to tell why a probe failed. */
  readonly detail: string;
}

/**
 * Runs `check` and turns its outcome into a result: it passes when `check` resolves (with a short
 * description of what it saw) and fails when it throws (the error message becomes the detail).
 */
export async function probe(requirement: string, title: string, check: () => Promise<string>): Promise<ProbeResult> {
  try {
    return { requirement, title, ok: true, detail: await check() };
  } catch (error) {
    return { requirement, title, ok: false, detail: error instanceof Error ? error.message : String(error) };
  }
}

/** Throws `message` unless `condition` holds; probes use it to state what they expect. */
export function expectThat(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(message);
}
