/**
 * Validators from the schemas the project carries (data/README.md says where each comes from):
 * Kubernetes' own, strict as kubeconform -strict (an unknown field fails), and MetalLB's CRDs.
 */
import * as fs from 'fs';
import * as path from 'path';
import Ajv, { ValidateFunction } from 'ajv';
import * as YAML from 'yaml';

const DATA = path.resolve(__dirname, '..', '..', 'data');
export const KUBERNETES_VERSIONS = ['v1.27.0', 'v1.35.0'];

type Schema = Record<string, unknown>;

/** Adds additionalProperties: false to every object schema that lists its properties. */
function strict(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(strict);
  if (typeof schema !== 'object' || schema === null) return schema;
  const result: Schema = Object.fromEntries(Object.entries(schema).map(([key, value]) => [key, strict(value)]));
  if (result.properties !== undefined && result.additionalProperties === undefined) result.additionalProperties = false;
  return result;
}

function newAjv(): Ajv {
  const ajv = new Ajv({ strict: false, allErrors: true });
  for (const format of ['int-or-string', 'int32', 'int64', 'double', 'byte', 'date-time']) ajv.addFormat(format, true);
  return ajv;
}

export const gvkKey = (apiVersion: string, kind: string) => `${apiVersion}/${kind}`;

/** Validators for every kind a Kubernetes version defines, by `apiVersion/kind`. */
export function kubernetesValidators(version: string): Map<string, ValidateFunction> {
  const { definitions } = JSON.parse(fs.readFileSync(path.join(DATA, 'k8s-schemas', version, '_definitions.json'), 'utf8'));
  const ajv = newAjv();
  ajv.addSchema({ $id: 'k8s', definitions: strict(definitions) });
  const validators = new Map<string, ValidateFunction>();
  for (const [name, definition] of Object.entries<Schema>(definitions)) {
    const gvks = (definition['x-kubernetes-group-version-kind'] ?? []) as Array<{ group: string; version: string; kind: string }>;
    for (const gvk of gvks) {
      const apiVersion = gvk.group === '' ? gvk.version : `${gvk.group}/${gvk.version}`;
      validators.set(gvkKey(apiVersion, gvk.kind), ajv.getSchema(`k8s#/definitions/${name}`)!);
    }
  }
  return validators;
}

/** Validators for MetalLB's custom resources, from the CRDs in its release manifest. */
export function metallbValidators(): Map<string, ValidateFunction> {
  const manifest = fs.readFileSync(path.join(DATA, 'metallb', 'metallb-native-v0.16.1.yaml'), 'utf8');
  const ajv = newAjv();
  const validators = new Map<string, ValidateFunction>();
  for (const doc of YAML.parseAllDocuments(manifest).map((d) => d.toJSON())) {
    if (doc?.kind !== 'CustomResourceDefinition') continue;
    for (const version of doc.spec.versions) {
      validators.set(gvkKey(`${doc.spec.group}/${version.name}`, doc.spec.names.kind), ajv.compile(strict(version.schema.openAPIV3Schema) as Schema));
    }
  }
  return validators;
}
