/**
 * The Kubernetes and MetalLB schemas the project carries in data/ (data/README.md says where each
 * comes from), made strict. test/schemas.test.ts validates the synthesized chart with them (ajv), and
 * .ci/checkers hands them to kubeconform, which wants one JSON schema file per kind.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as YAML from 'yaml';

export const DATA = path.resolve(__dirname, '..', '..', 'data');
/** The Kubernetes versions whose OpenAPI definitions data/k8s-schemas holds. */
export const KUBERNETES_VERSIONS = ['v1.27.0', 'v1.35.0'];
export const METALLB_MANIFEST = path.join(DATA, 'metallb', 'metallb-native-v0.16.1.yaml');

export type Schema = Record<string, unknown>;

/**
 * Adds additionalProperties: false to every object schema that lists its properties, so an unknown
 * (misspelt) field fails. The same rule as kubeconform's -strict schemas, which yannh's
 * openapi2jsonschema.py generates with `additionalProperties: false` on every object with properties.
 */
export function strict(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(strict);
  if (typeof schema !== 'object' || schema === null) return schema;
  const result: Schema = Object.fromEntries(Object.entries(schema).map(([key, value]) => [key, strict(value)]));
  if (result.properties !== undefined && result.additionalProperties === undefined) result.additionalProperties = false;
  return result;
}

/** One kind's schema: which apiVersion and kind it validates, and where it is. */
export interface KindSchema {
  readonly apiVersion: string;
  readonly kind: string;
  /** For a Kubernetes kind, the name of its entry in `definitions`. */
  readonly definition?: string;
  /** For a custom resource, its openAPIV3Schema. */
  readonly schema?: Schema;
}

/** The OpenAPI definitions of one Kubernetes version, as published (not yet strict). */
export function kubernetesDefinitions(version: string): Record<string, Schema> {
  return JSON.parse(fs.readFileSync(path.join(DATA, 'k8s-schemas', version, '_definitions.json'), 'utf8')).definitions;
}

/** Every kind a set of Kubernetes definitions declares (x-kubernetes-group-version-kind). */
export function kubernetesKinds(definitions: Record<string, Schema>): KindSchema[] {
  return Object.entries(definitions).flatMap(([definition, schema]) => {
    const gvks = (schema['x-kubernetes-group-version-kind'] ?? []) as Array<{ group: string; version: string; kind: string }>;
    return gvks.map(({ group, version, kind }) => ({ apiVersion: group === '' ? version : `${group}/${version}`, kind, definition }));
  });
}

/** Every custom resource kind the MetalLB release manifest defines, with its schema. */
export function metallbKinds(): KindSchema[] {
  const documents = YAML.parseAllDocuments(fs.readFileSync(METALLB_MANIFEST, 'utf8')).map((d) => d.toJSON());
  return documents.filter((doc) => doc?.kind === 'CustomResourceDefinition').flatMap((doc) =>
    doc.spec.versions.map((version: { name: string; schema: { openAPIV3Schema: Schema } }) =>
      ({ apiVersion: `${doc.spec.group}/${version.name}`, kind: doc.spec.names.kind, schema: version.schema.openAPIV3Schema })));
}

/**
 * The file name kubeconform looks for under its default -schema-location template,
 * `{{ .ResourceKind }}{{ .KindSuffix }}.json` (pkg/registry/registry.go, schemaPath, v0.8.0): the
 * kind in lower case, then `-` and the group's first label, then `-` and the version.
 */
export function kubeconformFileName(apiVersion: string, kind: string): string {
  const [groupOrVersion, version] = apiVersion.split('/');
  return `${kind}-${groupOrVersion.split('.')[0]}${version === undefined ? '' : `-${version}`}.json`.toLowerCase();
}

/**
 * Writes strict schemas for every Kubernetes version of data/ and MetalLB's kinds in the layout of
 * kubeconform's default template, `DIR/{{ .NormalizedKubernetesVersion }}-standalone-strict/…`:
 * each kind's file refers to one strict `_definitions.json` beside it. Returns the template for
 * `kubeconform -schema-location`.
 */
export function writeKubeconformSchemas(dir: string): string {
  const metallb = metallbKinds();
  for (const version of KUBERNETES_VERSIONS) {
    const folder = path.join(dir, `${version}-standalone-strict`);
    fs.mkdirSync(folder, { recursive: true });
    const definitions = kubernetesDefinitions(version);
    fs.writeFileSync(path.join(folder, '_definitions.json'), JSON.stringify({ definitions: strict(definitions) }));
    for (const { apiVersion, kind, definition } of kubernetesKinds(definitions)) {
      fs.writeFileSync(path.join(folder, kubeconformFileName(apiVersion, kind)), JSON.stringify({ $ref: `_definitions.json#/definitions/${definition}` }));
    }
    for (const { apiVersion, kind, schema } of metallb) {
      fs.writeFileSync(path.join(folder, kubeconformFileName(apiVersion, kind)), JSON.stringify(strict(schema)));
    }
  }
  return path.join(dir, '{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json');
}
