/**
 * A small TOML writer for the subset telegraf's config uses: scalar keys, string arrays, tables,
 * arrays of tables (`[[inputs.x]]`) and sub-tables of those (`[inputs.x.tags]`). No TOML package
 * is installed, and a typed writer escapes every string, where a text template would not.
 */

export type TomlScalar = string | number | boolean;
export type TomlValue = TomlScalar | readonly TomlScalar[] | TomlTable | readonly TomlTable[];
export interface TomlTable {
  readonly [key: string]: TomlValue | undefined;
}

const BARE_KEY = /^[A-Za-z0-9_-]+$/;

function key(name: string): string {
  return BARE_KEY.test(name) ? name : JSON.stringify(name);
}

/**
 * A TOML basic string. JSON's escapes (\" \\ \n \t \uXXXX …) are all valid TOML escapes; telegraf
 * substitutes `${VAR}` inside strings before parsing, so `$` is left as it is on purpose.
 */
function scalar(value: TomlScalar): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`TOML: ${value} is not a finite number`);
    return String(value);
  }
  return value ? 'true' : 'false';
}

function isTable(value: unknown): value is TomlTable {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isTableArray(value: unknown): value is readonly TomlTable[] {
  return Array.isArray(value) && value.length > 0 && value.every(isTable);
}

function renderTable(path: string[], table: TomlTable, header: string | undefined, out: string[]): void {
  const entries = Object.entries(table).filter((entry): entry is [string, TomlValue] => entry[1] !== undefined);
  const scalars = entries.filter(([, value]) => !isTable(value) && !isTableArray(value));
  const tables = entries.filter(([, value]) => isTable(value) || isTableArray(value));
  // A table holding only sub-tables needs no header of its own (TOML defines it implicitly).
  if (header !== undefined && (scalars.length > 0 || tables.length === 0)) out.push('', header);
  for (const [name, value] of scalars) {
    const rendered = Array.isArray(value) ? `[${(value as TomlScalar[]).map(scalar).join(', ')}]` : scalar(value as TomlScalar);
    out.push(`${header === undefined ? '' : '  '}${key(name)} = ${rendered}`);
  }
  for (const [name, value] of tables) {
    const childPath = [...path, key(name)];
    if (isTableArray(value)) {
      for (const item of value) renderTable(childPath, item, `[[${childPath.join('.')}]]`, out);
    } else {
      renderTable(childPath, value as TomlTable, `[${childPath.join('.')}]`, out);
    }
  }
}

/** The TOML document for `document` (top-level scalars first, then tables in insertion order). */
export function renderToml(document: TomlTable): string {
  const out: string[] = [];
  renderTable([], document, undefined, out);
  return `${out.join('\n').replace(/^\n+/, '')}\n`;
}
