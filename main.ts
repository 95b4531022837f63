/**
 * The cdk8s app: `npx cdk8s synth` writes the stack's manifests into dist/ (D2).
 *
 * FT_SERVICES_CONFIG names JSON files (colon-separated) whose values are merged, in order, over the
 * defaults of lib/config.ts; `./setup.sh` uses it for the load-balancer address and image tags.
 */
import { App } from 'cdk8s';
import { buildApp } from './lib/app';
import { configFromEnvironment } from './lib/setup/config-files';

const app = new App();
buildApp(app, configFromEnvironment());
app.synth();
