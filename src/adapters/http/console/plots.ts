import { Html, html } from './html.ts';

/** One bar or slice: its key, what the plot shows of it, and the tooltip. */
export interface PlotPoint {
  readonly key: string;
  readonly value: number;
  readonly label: string;
}

const PALETTE = ['#1d3557', '#e63946', '#2a9d8f', '#f4a261', '#457b9d', '#8d99ae', '#6a4c93', '#bc6c25', '#588157', '#264653'];
const W = 640;
const FONT = 'font-family="system-ui, sans-serif" font-size="11"';
const r2 = (n: number): string => (Math.round(n * 100) / 100).toFixed(2);

/**
 * SVG built from presentation attributes only (no style, no script): it renders inline under
 * the console's CSP and stands alone when saved (`xmlns`). Each mark carries its key and value
 * in data attributes, so the figures can be read back from the page.
 */
function frame(id: string, title: string, height: number, body: Html): Html {
  return html`<svg xmlns="http://www.w3.org/2000/svg" id="${id}" class="plot" viewBox="0 0 ${W} ${height}" width="${W}" height="${height}" role="img" aria-label="${title}">
<title>${title}</title><rect x="0" y="0" width="${W}" height="${height}" fill="#ffffff"/>
<text x="8" y="16" ${new Html(FONT)} font-weight="bold" fill="#1d2733">${title}</text>${body}</svg>`;
}

/** Vertical bars, one per point (cost per day); a dashed tick marks each point's reference (the baseline). */
export function columnPlot(id: string, title: string, points: readonly PlotPoint[], references: readonly number[] = []): Html {
  const height = 240;
  const top = 28;
  const bottom = 200;
  const left = 56;
  const max = Math.max(1e-9, ...points.map((p) => p.value), ...references);
  const step = points.length === 0 ? 0 : (W - left - 8) / points.length;
  const y = (v: number): number => bottom - (Math.max(0, v) / max) * (bottom - top);
  const every = Math.max(1, Math.ceil(points.length / 12));
  const marks = points.map((p, i) => {
    const x = left + i * step;
    const ref = references[i];
    return html`<rect data-key="${p.key}" data-value="${r2(p.value)}" x="${r2(x + step * 0.15)}" y="${r2(y(p.value))}" width="${r2(step * 0.7)}" height="${r2(bottom - y(p.value))}" fill="${PALETTE[0]!}"><title>${p.label}</title></rect>${
      ref === undefined ? '' : html`<line x1="${r2(x + step * 0.05)}" x2="${r2(x + step * 0.95)}" y1="${r2(y(ref))}" y2="${r2(y(ref))}" stroke="${PALETTE[1]!}" stroke-width="2" stroke-dasharray="4 2"/>`}${
      i % every === 0 ? html`<text x="${r2(x + step / 2)}" y="${bottom + 14}" text-anchor="middle" ${new Html(FONT)} fill="#1d2733">${p.key.slice(5)}</text>` : ''}`;
  });
  const axis = html`<line x1="${left}" x2="${W - 8}" y1="${bottom}" y2="${bottom}" stroke="#8d99ae"/>
<text x="${left - 4}" y="${top + 4}" text-anchor="end" ${new Html(FONT)} fill="#1d2733">${r2(max)}</text><text x="${left - 4}" y="${bottom}" text-anchor="end" ${new Html(FONT)} fill="#1d2733">0</text>`;
  return frame(id, title, height, html`${axis}${marks}`);
}

/** Shares of a whole as slices of a ring, with a legend (share by carrier). */
export function ringPlot(id: string, title: string, points: readonly PlotPoint[]): Html {
  const rows = Math.max(points.length, 1);
  const height = Math.max(200, 40 + rows * 18);
  const [cx, cy, ro, ri] = [110, 112, 80, 44];
  const total = points.reduce((s, p) => s + Math.max(0, p.value), 0);
  let angle = -Math.PI / 2;
  const slices = points.map((p, i) => {
    const share = total === 0 ? 0 : Math.max(0, p.value) / total;
    const colour = PALETTE[i % PALETTE.length]!;
    const legend = html`<rect x="230" y="${32 + i * 18}" width="12" height="12" fill="${colour}"/><text x="248" y="${42 + i * 18}" ${new Html(FONT)} fill="#1d2733">${p.label} · ${(share * 100).toFixed(1)} %</text>`;
    if (share === 0) return legend;
    const a0 = angle;
    const a1 = angle + share * 2 * Math.PI - (share === 1 ? 1e-6 : 0);
    angle += share * 2 * Math.PI;
    const large = a1 - a0 > Math.PI ? 1 : 0;
    const pt = (r: number, a: number): string => `${r2(cx + r * Math.cos(a))} ${r2(cy + r * Math.sin(a))}`;
    const d = `M ${pt(ro, a0)} A ${ro} ${ro} 0 ${large} 1 ${pt(ro, a1)} L ${pt(ri, a1)} A ${ri} ${ri} 0 ${large} 0 ${pt(ri, a0)} Z`;
    return html`<path data-key="${p.key}" data-value="${r2(p.value)}" data-share="${(share * 100).toFixed(1)}" d="${d}" fill="${colour}"><title>${p.label}</title></path>${legend}`;
  });
  return frame(id, title, height, html`${slices}`);
}

/** Horizontal bars from a zero line, negative ones to the left in red (saving by department). */
export function barPlot(id: string, title: string, points: readonly PlotPoint[]): Html {
  const height = 44 + Math.max(points.length, 1) * 24;
  const left = 180;
  const right = W - 90;
  const max = Math.max(1e-9, ...points.map((p) => Math.abs(p.value)));
  const anyNegative = points.some((p) => p.value < 0);
  const zero = anyNegative ? (left + right) / 2 : left;
  const scale = (right - zero) / max;
  const bars = points.map((p, i) => {
    const yy = 30 + i * 24;
    const w = Math.abs(p.value) * scale;
    return html`<text x="${left - 6}" y="${yy + 13}" text-anchor="end" ${new Html(FONT)} fill="#1d2733">${p.label}</text>
<rect data-key="${p.key}" data-value="${r2(p.value)}" x="${r2(p.value < 0 ? zero - w : zero)}" y="${yy}" width="${r2(w)}" height="18" fill="${p.value < 0 ? PALETTE[1]! : PALETTE[2]!}"><title>${p.label}: ${r2(p.value)}</title></rect>
<text x="${r2((p.value < 0 ? zero : zero + w) + 4)}" y="${yy + 13}" ${new Html(FONT)} fill="#1d2733">${r2(p.value)}</text>`;
  });
  return frame(id, title, height, html`<line x1="${r2(zero)}" x2="${r2(zero)}" y1="26" y2="${height - 8}" stroke="#8d99ae"/>${bars}`);
}
