import * as fs from 'fs';
import { resolveStackConfig, StackConfig, StackConfigOverrides } from '../config';

/** The variable naming the JSON override files (colon-separated, merged in order over the defaults). */
export const CONFIG_FILES_VARIABLE = 'FT_SERVICES_CONFIG';

/** A configuration file that cannot be used as one: missing, not JSON, or not a JSON object. */
export class ConfigFileError extends Error {
  constructor(readonly file: string, problem: string) {
    super(`${file}: ${problem}`);
    this.name = 'ConfigFileError';
  }
}

/** The overrides in one JSON file: an object whose fields are those of lib/config.ts. */
export function readOverrides(file: string): StackConfigOverrides {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigFileError(file, code === 'ENOENT' ? 'no such file' : `cannot be read (${code ?? String(error)})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ConfigFileError(file, `is not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    const found = Array.isArray(parsed) ? 'a list' : parsed === null ? 'null' : `a ${typeof parsed}`;
    throw new ConfigFileError(file, `must hold one JSON object ({ "namespace": …, "ports": { … } }), not ${found}`);
  }
  return parsed as StackConfigOverrides;
}

/** The stack configuration from the override files named in `FT_SERVICES_CONFIG`. */
export function configFromEnvironment(env: NodeJS.ProcessEnv = process.env): StackConfig {
  const files = (env[CONFIG_FILES_VARIABLE] ?? '').split(':').filter((file) => file !== '');
  return resolveStackConfig(...files.map(readOverrides));
}
