import * as fs from 'fs';
import { resolveStackConfig, StackConfig, StackConfigOverrides } from '../config';

/** The variable naming the JSON override files (colon-separated, merged in order over the defaults). */
export const CONFIG_FILES_VARIABLE = 'FT_SERVICES_CONFIG';

/** The stack configuration from the override files named in `FT_SERVICES_CONFIG`. */
export function configFromEnvironment(env: NodeJS.ProcessEnv = process.env): StackConfig {
  const files = (env[CONFIG_FILES_VARIABLE] ?? '').split(':').filter((file) => file !== '');
  return resolveStackConfig(...files.map((file): StackConfigOverrides => {
    try {
      return JSON.parse(fs.readFileSync(file, 'utf8')) as StackConfigOverrides;
    } catch (error) {
      throw new Error(`${CONFIG_FILES_VARIABLE}: cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }));
}
