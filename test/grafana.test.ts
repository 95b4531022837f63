/**
 * srcs/grafana/grafana.ini: the settings Grafana reads at start-up (S9).
 */
import * as fs from 'fs';
import * as path from 'path';

/** The ini as Grafana's gopkg.in/ini.v1 reads it: `[section]` headers, `key = value`, `;` or `#` comments. */
function readIni(file: string): Record<string, Record<string, string>> {
  const sections: Record<string, Record<string, string>> = { '': {} };
  let current = '';
  for (const raw of fs.readFileSync(file, 'utf8').split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith(';') || line.startsWith('#')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      current = header[1];
      sections[current] ??= {};
      continue;
    }
    const [key, ...value] = line.split('=');
    sections[current][key.trim()] = value.join('=').trim();
  }
  return sections;
}

const ini = readIni(path.join(__dirname, '..', 'srcs', 'grafana', 'grafana.ini'));

test('S9 Grafana installs no catalog plugin at start-up: [plugins] preinstall_disabled = true', () => {
  // Grafana pkg/setting/setting_plugins.go (11.3 and later, still so on main): readPluginSettings
  // reads `preinstall_disabled` from the `plugins` section (MustBool(false)); only when it is false
  // does it queue the default preinstall list (grafana-lokiexplore-app, grafana-pyroscope-app, …)
  // for download from grafana.com at start-up.
  expect(ini.plugins?.preinstall_disabled).toBe('true');
});
