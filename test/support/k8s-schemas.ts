/**
 * Validators from the schemas the project carries (lib/checkers/schemas.ts reads them from data/):
 * Kubernetes' own, strict as kubeconform -strict (an unknown field fails), and MetalLB's CRDs.
 */
import Ajv, { ValidateFunction } from 'ajv';
import { kubernetesDefinitions, kubernetesKinds, metallbKinds, Schema, strict } from '../../lib/checkers/schemas';

export { KUBERNETES_VERSIONS } from '../../lib/checkers/schemas';

function newAjv(): Ajv {
  const ajv = new Ajv({ strict: false, allErrors: true });
  for (const format of ['int-or-string', 'int32', 'int64', 'double', 'byte', 'date-time']) ajv.addFormat(format, true);
  return ajv;
}

export const gvkKey = (apiVersion: string, kind: string) => `${apiVersion}/${kind}`;

/** Validators for every kind a Kubernetes version defines, by `apiVersion/kind`. */
export function kubernetesValidators(version: string): Map<string, ValidateFunction> {
  const definitions = kubernetesDefinitions(version);
  const ajv = newAjv();
  ajv.addSchema({ $id: 'k8s', definitions: strict(definitions) });
  return new Map(kubernetesKinds(definitions).map(({ apiVersion, kind, definition }) =>
    [gvkKey(apiVersion, kind), ajv.getSchema(`k8s#/definitions/${definition}`)!]));
}

/** Validators for MetalLB's custom resources, from the CRDs in its release manifest. */
export function metallbValidators(): Map<string, ValidateFunction> {
  const ajv = newAjv();
  return new Map(metallbKinds().map(({ apiVersion, kind, schema }) => [gvkKey(apiVersion, kind), ajv.compile(strict(schema) as Schema)]));
}
