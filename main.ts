/**
 * The cdk8s app: `npx cdk8s synth` writes the stack's manifests into dist/ (D2).
 *
 * FT_SERVICES_CONFIG names JSON files (colon-separated) whose values are merged, in order, over the
 * defaults of lib/config.ts; `./setup.sh` uses it for the load-balancer address and image tags.
 */
import * as fs from 'fs';
import { App } from 'cdk8s';
import { resolveStackConfig, StackConfigOverrides } from './lib/config';
import { buildApp } from './lib/app';

function readOverrides(files: string | undefined): StackConfigOverrides[] {
  return (files ?? '').split(':').filter((file) => file !== '').map((file) => {
    try {
      return JSON.parse(fs.readFileSync(file, 'utf8')) as StackConfigOverrides;
    } catch (error) {
      throw new Error(`FT_SERVICES_CONFIG: cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`);
    }
  });
}

const app = new App();
buildApp(app, resolveStackConfig(...readOverrides(process.env.FT_SERVICES_CONFIG)));
app.synth();
