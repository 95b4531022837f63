/**
 * Content-hash image tags (B9): an image is rebuilt only when the files it is built from change.
 * Those are its own folder `srcs/<service>/` and, when its Dockerfile copies from it, `srcs/common/`.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { filesUnder } from '../files';

/** The shared folder several Dockerfiles copy from (the build context is srcs/). */
const COMMON = 'common';

/** The folders of `srcs` an image is built from. */
export function imageSources(srcs: string, service: string): string[] {
  const dockerfile = fs.readFileSync(path.join(srcs, service, 'Dockerfile'), 'utf8');
  const usesCommon = /^\s*COPY\s+(--\S+\s+)*common\//m.test(dockerfile);
  return usesCommon ? [service, COMMON] : [service];
}

/** A 12-hex-digit tag that changes exactly when a file (name, content or mode) the image is built from changes. */
export function imageTag(srcs: string, service: string): string {
  const hash = createHash('sha256');
  const files = imageSources(srcs, service).flatMap((folder) => filesUnder(path.join(srcs, folder)).map((file) => `${folder}/${file}`)).sort();
  for (const file of files) {
    const full = path.join(srcs, file);
    hash.update(`${file}\0${(fs.statSync(full).mode & 0o111) !== 0 ? 'x' : '-'}\0`);
    hash.update(fs.readFileSync(full));
    hash.update('\0');
  }
  return hash.digest('hex').slice(0, 12);
}
