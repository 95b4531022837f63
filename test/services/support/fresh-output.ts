/** jest globalSetup of the host tests: each run starts with an empty test-output/, so what is there is this run's. */
import * as fs from 'fs';
import { OUTPUT_ROOT } from './harness';

export default function freshOutput(): void {
  fs.rmSync(OUTPUT_ROOT, { recursive: true, force: true });
}
