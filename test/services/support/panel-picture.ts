/**
 * A picture of what the dashboards show, for people who would rather look than read: the answers
 * InfluxDB gave to every panel query of one host-test run, drawn as small SVG line charts (one
 * card per panel, one row of cards per dashboard) and screenshotted by headless Chromium. It is not
 * Grafana (which cannot run here); it plots the same numbers Grafana would receive.
 */
import { launchChromium } from './browser';

/** One panel's answer: a line per returned series, `[epoch ms, value]` points. */
export interface PanelData {
  readonly dashboard: string;
  readonly panel: string;
  readonly unit: string;
  readonly lines: readonly { readonly label: string; readonly points: readonly (readonly [number, number])[] }[];
}

const COLOURS = ['#3274d9', '#e0752d', '#56a64b', '#a352cc', '#d44a3a', '#37872d'];
const escape = (text: string): string => text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

/** A number as a panel would show it (1.2k, 3.4M), with the unit where it is a plain one. */
export function formatValue(value: number, unit: string): string {
  const abs = Math.abs(value);
  const [scaled, suffix] = abs >= 1e9 ? [value / 1e9, 'G'] : abs >= 1e6 ? [value / 1e6, 'M'] : abs >= 1e3 ? [value / 1e3, 'k'] : [value, ''];
  const text = `${Number(scaled.toPrecision(3))}${suffix}`;
  return unit === 'bytes' ? `${text}B` : unit === 'Bps' ? `${text}B/s` : unit === 'reqps' ? `${text}/s` : text;
}

/**
 * The same answers as a Markdown table, one row per series: its highest and last value (what the
 * closing notes quote per dashboard and panel).
 */
export function panelTable(title: string, panels: readonly PanelData[]): string {
  const rows = panels.flatMap((panel) => (panel.lines.length === 0 ? [{ panel, label: '', values: [] as number[] }] : panel.lines.map((line) => ({ panel, label: line.label, values: line.points.map(([, v]) => v) }))))
    .map(({ panel, label, values }) => {
      const shown = values.length === 0 ? 'no data' : `${formatValue(Math.max(...values), panel.unit)} | ${formatValue(values[values.length - 1], panel.unit)}`;
      return `| ${panel.dashboard} | ${panel.panel} | ${label.replace(/\|/g, '\\|')} | ${shown} |`;
    });
  return [`# ${title}`, '', '| dashboard | panel | series | highest | last |', '|---|---|---|---|---|', ...rows, ''].join('\n');
}

function chart(panel: PanelData, width: number, height: number): string {
  const points = panel.lines.flatMap((line) => line.points);
  if (points.length === 0) return `<text x="${width / 2}" y="${height / 2}" class="empty">no data</text>`;
  const [t0, t1] = [Math.min(...points.map(([t]) => t)), Math.max(...points.map(([t]) => t))];
  const top = Math.max(...points.map(([, v]) => v), 0) || 1;
  const x = (t: number): number => 40 + (t1 === t0 ? (width - 50) / 2 : ((t - t0) / (t1 - t0)) * (width - 50));
  const y = (v: number): number => height - 18 - (v / top) * (height - 30);
  const axis = `<text x="2" y="14" class="axis">${escape(formatValue(top, panel.unit))}</text><text x="2" y="${height - 18}" class="axis">0</text>`
    + `<line x1="40" y1="${height - 18}" x2="${width - 10}" y2="${height - 18}" class="base"/>`;
  const lines = panel.lines.map((line, index) => {
    const colour = COLOURS[index % COLOURS.length];
    const path = line.points.map(([t, v], i) => `${i ? 'L' : 'M'}${x(t).toFixed(1)},${y(v).toFixed(1)}`).join('');
    const dots = line.points.map(([t, v]) => `<circle cx="${x(t).toFixed(1)}" cy="${y(v).toFixed(1)}" r="2.5" fill="${colour}"/>`).join('');
    return `<path d="${path}" stroke="${colour}" fill="none" stroke-width="2"/>${dots}`;
  }).join('');
  return axis + lines;
}

/** The whole page: a heading, then one row per dashboard. */
export function picturePage(title: string, panels: readonly PanelData[]): string {
  const dashboards = [...new Set(panels.map((p) => p.dashboard))];
  const rows = dashboards.map((name) => {
    const cards = panels.filter((p) => p.dashboard === name).map((panel) => {
      const last = panel.lines.map((line, index) => {
        const value = line.points.at(-1)?.[1];
        return `<span style="color:${COLOURS[index % COLOURS.length]}">${escape(line.label)}: ${value === undefined ? '–' : escape(formatValue(value, panel.unit))}</span>`;
      }).join(' ');
      return `<div class="card"><div class="title">${escape(panel.panel)}</div><svg width="260" height="110">${chart(panel, 260, 110)}</svg><div class="legend">${last}</div></div>`;
    }).join('');
    return `<section><h2>${escape(name)}</h2><div class="cards">${cards}</div></section>`;
  }).join('');
  return `<!doctype html><html><head><meta charset="utf-8"><style>
body{font:12px sans-serif;background:#111217;color:#ccccdc;margin:12px;width:1460px}
h1{font-size:16px;margin:0 0 8px} h2{font-size:13px;margin:10px 0 4px;color:#fff}
.cards{display:flex;flex-wrap:wrap;gap:6px}.card{background:#181b1f;border:1px solid #2c3235;padding:4px;width:262px}
.title{font-weight:bold;margin-bottom:2px}.legend{font-size:10px;overflow:hidden;max-height:26px}
.axis{fill:#8e8e8e;font-size:9px}.base{stroke:#444}.empty{fill:#d44a3a;text-anchor:middle}
</style></head><body><h1>${escape(title)}</h1>${rows}</body></html>`;
}

/** Renders `panels` with headless Chromium into a PNG at `file`. */
export async function renderPicture(file: string, title: string, panels: readonly PanelData[]): Promise<void> {
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1484, height: 400 } });
    await page.setContent(picturePage(title, panels));
    await page.screenshot({ path: file, fullPage: true });
  } finally {
    await browser.close();
  }
}
