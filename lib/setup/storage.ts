/**
 * Storage settings a deployed stack cannot take (S10, B13). Once a claim is bound, the API server of
 * Kubernetes v1.35 refuses, for that claim:
 * - another class: "spec is immutable after creation except resources.requests and
 *   volumeAttributesClassName for bound claims" (pkg/apis/core/validation/validation.go,
 *   ValidatePersistentVolumeClaimUpdate);
 * - a smaller size: "field can not be less than previous value" or "… less than status.capacity"
 *   (the same function; Kubernetes never shrinks a volume);
 * - a larger size, unless the claim's StorageClass says `allowVolumeExpansion: true`: "only
 *   dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must
 *   support resize" (plugin/pkg/admission/storage/persistentvolume/resize/admission.go).
 * kubectl then applies every other object, exits 1 and skips pruning, and every later run stops at
 * the same claim. So setup remembers the storage it deployed (`.ft/deployed-storage.json`), and
 * `validate` and `up` compare the new settings with it before anything is applied. `validate` has
 * no cluster: what only the cluster knows (can the class expand, which class did the cluster's
 * default give the claims) it notes; `up` reads it (`readLiveClaims`) and refuses or goes on.
 */
import * as fs from 'fs';
import { dataClaimName, STATEFUL_SERVICES, StackConfig, StatefulService } from '../config';
import type { Kubectl } from '../probes/cluster';

/** The storage settings of a stack: what its bound claims keep. */
export interface StorageSettings {
  /** Unset: the cluster's default class when the claims were made. */
  readonly storageClass?: string;
  readonly sizes: Readonly<Record<StatefulService, string>>;
}

export function storageSettings(config: StackConfig): StorageSettings {
  return { storageClass: config.storage.storageClass, sizes: { ...config.storage.sizes } };
}

/** What each volume holds: the data `./setup.sh delete` costs. */
const VOLUME_CONTENTS: Readonly<Record<StatefulService, string>> = {
  wordpress: 'the WordPress uploads',
  mysql: 'the WordPress database',
  ftps: 'the FTP user\'s files',
  grafana: 'Grafana\'s own database',
  influxdb: 'the collected metrics',
};

/** What the cluster says about the stack's claims (`up` reads it; `validate` cannot). */
export interface LiveClaims {
  /** The class of each claim the cluster holds (`''` for none); a claim it does not hold is absent. */
  readonly classes: Readonly<Partial<Record<StatefulService, string>>>;
  /** The StorageClasses that say `allowVolumeExpansion: true`. */
  readonly expandable: ReadonlySet<string>;
}

/** The changes the cluster refuses, and what only the cluster can tell (without `live`). */
export interface StorageVerdict {
  readonly refused: readonly string[];
  readonly unknown: readonly string[];
}

/** Sizes are whole Mi or Gi (the configuration's rule, lib/config.ts). */
const mebibytes = (size: string): number => Number(size.slice(0, -2)) * (size.endsWith('Gi') ? 1024 : 1);

const className = (storageClass: string | undefined) => storageClass === undefined ? 'the cluster\'s default class' : `"${storageClass}"`;

/** `./setup.sh delete` removes the whole namespace: every volume, not only the one that changes. */
const DELETE_FIRST = `or run ./setup.sh delete first, which deletes the namespace with every volume and everything on it: ${
  STATEFUL_SERVICES.map((service) => `${dataClaimName(service)} (${VOLUME_CONTENTS[service]})`).join(', ')}; then ./setup.sh up`;

/**
 * Compares the storage of `next` with what was `deployed`. With `live` (the cluster's claims), a
 * claim the cluster does not hold any more can take any setting.
 */
export function storageVerdict(deployed: StorageSettings, next: StorageSettings, live?: LiveClaims): StorageVerdict {
  const refused: string[] = [];
  const unknown: string[] = [];
  const held = (service: StatefulService) => live === undefined || live.classes[service] !== undefined;

  if (deployed.storageClass !== next.storageClass) {
    // A claim made without a class got the cluster's default: naming that same class changes nothing.
    const conflicting = STATEFUL_SERVICES.filter((service) => held(service)
      && !(deployed.storageClass === undefined && live !== undefined && live.classes[service] === next.storageClass));
    const field = `storage.storageClass is ${className(next.storageClass)}; the stack was deployed with ${className(deployed.storageClass)}`;
    if (deployed.storageClass === undefined && next.storageClass !== undefined && live === undefined) {
      unknown.push(`${field}: ./setup.sh up goes on only if that default is "${next.storageClass}", the class the claims have`);
    } else if (conflicting.length > 0) {
      const now = live === undefined ? '' : ` (the claims have ${[...new Set(conflicting.map((s) => `"${live.classes[s]}"`))].join(', ')})`;
      refused.push(`${field}${now}, and a bound claim never changes its class (spec is immutable after creation). `
        + `${deployed.storageClass === undefined ? 'Leave it out' : `Set it back to "${deployed.storageClass}"`}, ${DELETE_FIRST}`);
    }
  }

  for (const service of STATEFUL_SERVICES) {
    const [before, after] = [deployed.sizes[service], next.sizes[service]];
    if (mebibytes(after) === mebibytes(before) || !held(service)) continue;
    const field = `storage.sizes.${service} is "${after}"; the stack was deployed with "${before}"`;
    const claim = dataClaimName(service);
    if (mebibytes(after) < mebibytes(before)) {
      refused.push(`${field}, and Kubernetes never makes a bound claim smaller (field can not be less than status.capacity). `
        + `Set it back to "${before}" or more, ${DELETE_FIRST}`);
    } else if (live === undefined) {
      unknown.push(`${field}: ./setup.sh up grows ${claim} only if its StorageClass allows volume expansion`);
    } else if (!live.expandable.has(live.classes[service] ?? '')) {
      const storageClass = live.classes[service] ? `its StorageClass "${live.classes[service]}" does not allow volume expansion (allowVolumeExpansion is not true)` : 'it has no StorageClass';
      refused.push(`${field}, and ${claim} cannot grow: ${storageClass}, so the API server refuses to resize it. `
        + `Set it back to "${before}", ${DELETE_FIRST}`);
    }
  }
  return { refused, unknown };
}

/** The claims of the stack in `namespace` and the StorageClasses that can expand, as the cluster has them. */
export async function readLiveClaims(kubectl: Kubectl, namespace: string): Promise<LiveClaims> {
  const claims = JSON.parse(await kubectl(['-n', namespace, 'get', 'persistentvolumeclaims', '-o', 'json'])) as {
    items: Array<{ metadata: { name: string }; spec: { storageClassName?: string | null } }>;
  };
  const classes = JSON.parse(await kubectl(['get', 'storageclasses', '-o', 'json'])) as { items: Array<{ metadata: { name: string }; allowVolumeExpansion?: boolean }> };
  const byName = new Map(claims.items.map((claim) => [claim.metadata.name, claim.spec.storageClassName ?? '']));
  return {
    classes: Object.fromEntries(STATEFUL_SERVICES.filter((service) => byName.has(dataClaimName(service))).map((service) => [service, byName.get(dataClaimName(service))])),
    expandable: new Set(classes.items.filter((item) => item.allowVolumeExpansion === true).map((item) => item.metadata.name)),
  };
}

/** The storage setup last deployed, remembered in `file` (none before the first deployment). */
export function deployedStorage(file: string): StorageSettings | undefined {
  return fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) as StorageSettings : undefined;
}
