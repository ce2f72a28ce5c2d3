// Two small SVG charts, drawn from numbers the API computed: an interval
// chart (an estimate with its interval per row, and the zero line) and a
// line chart (series over time, with a limit). Sizes are in viewBox units;
// CSS scales them to the width available.

import { h, svg } from './dom';

export interface Interval {
  label: string;
  estimate: number | null;
  low: number | null;
  high: number | null;
  note?: string;
}

const fmt = (x: number) => (Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 1 ? x.toFixed(2) : x.toPrecision(2));

export function intervalChart(rows: Interval[], title: string): Element {
  const W = 600, rowH = 34, left = 130, right = 20, top = 24;
  const H = top + rows.length * rowH + 24;
  const xs = rows.flatMap((r) => [r.low, r.high, r.estimate]).filter((x): x is number => x !== null && Number.isFinite(x));
  let lo = Math.min(0, ...xs), hi = Math.max(0, ...xs);
  if (lo === hi) { lo -= 1; hi += 1; }
  const pad = (hi - lo) * 0.08;
  lo -= pad; hi += pad;
  const x = (v: number) => left + ((v - lo) / (hi - lo)) * (W - left - right);
  const parts: Element[] = [
    svg('title', {}, title),
    svg('line', { x1: x(0), x2: x(0), y1: top - 8, y2: H - 20, class: 'zero' }),
    svg('text', { x: x(0), y: top - 10, 'text-anchor': 'middle', class: 'axis' }, '0'),
    svg('text', { x: left, y: H - 4, class: 'axis' }, fmt(lo)),
    svg('text', { x: W - right, y: H - 4, 'text-anchor': 'end', class: 'axis' }, fmt(hi)),
  ];
  rows.forEach((r, i) => {
    const y = top + i * rowH + rowH / 2;
    parts.push(svg('text', { x: 4, y: y + 4, class: 'label' }, r.label));
    if (r.low !== null && r.high !== null) {
      parts.push(svg('line', { x1: x(r.low), x2: x(r.high), y1: y, y2: y, class: 'ci' }));
      parts.push(svg('line', { x1: x(r.low), x2: x(r.low), y1: y - 6, y2: y + 6, class: 'ci' }));
      parts.push(svg('line', { x1: x(r.high), x2: x(r.high), y1: y - 6, y2: y + 6, class: 'ci' }));
    }
    if (r.estimate !== null) parts.push(svg('circle', { cx: x(r.estimate), cy: y, r: 5, class: 'est' }));
    if (r.estimate === null && r.low === null) parts.push(svg('text', { x: left, y: y + 4, class: 'axis' }, r.note ?? 'not enough data'));
  });
  return h('figure', { class: 'chart' }, svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': title }, parts), h('figcaption', {}, title));
}

export interface Series {
  name: string;
  cls: string;
  points: { t: number; v: number }[];
}

export function lineChart(series: Series[], title: string, limit: number | null, unit = ''): Element {
  const W = 600, H = 200, left = 72, right = 16, top = 16, bottom = 28;
  const pts = series.flatMap((s) => s.points);
  if (!pts.length) return h('p', { class: 'muted' }, `${title}: no figures yet.`);
  const t0 = Math.min(...pts.map((p) => p.t)), t1 = Math.max(...pts.map((p) => p.t));
  const vmax = Math.max(limit ?? 0, ...pts.map((p) => p.v)) * 1.1 || 1;
  const x = (t: number) => left + (t1 === t0 ? (W - left - right) / 2 : ((t - t0) / (t1 - t0)) * (W - left - right));
  const y = (v: number) => top + (1 - v / vmax) * (H - top - bottom);
  const parts: Element[] = [
    svg('title', {}, title),
    svg('line', { x1: left, x2: left, y1: top, y2: H - bottom, class: 'axis-line' }),
    svg('line', { x1: left, x2: W - right, y1: H - bottom, y2: H - bottom, class: 'axis-line' }),
    svg('text', { x: left - 4, y: top + 8, 'text-anchor': 'end', class: 'axis' }, fmt(vmax) + unit),
    svg('text', { x: left - 4, y: H - bottom, 'text-anchor': 'end', class: 'axis' }, '0'),
    svg('text', { x: left, y: H - 8, class: 'axis' }, new Date(t0).toLocaleTimeString()),
    svg('text', { x: W - right, y: H - 8, 'text-anchor': 'end', class: 'axis' }, new Date(t1).toLocaleTimeString()),
  ];
  if (limit !== null) {
    parts.push(svg('line', { x1: left, x2: W - right, y1: y(limit), y2: y(limit), class: 'limit' }));
    parts.push(svg('text', { x: W - right, y: y(limit) - 4, 'text-anchor': 'end', class: 'axis' }, `limit ${fmt(limit)}${unit}`));
  }
  for (const s of series) {
    if (!s.points.length) continue;
    const d = s.points.map((p, i) => `${i ? 'L' : 'M'}${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join(' ');
    parts.push(svg('path', { d, class: `series ${s.cls}` }));
    for (const p of s.points) parts.push(svg('circle', { cx: x(p.t), cy: y(p.v), r: 3, class: `dot ${s.cls}` }));
  }
  const legend = h('figcaption', {}, title, ' ', series.map((s) => h('span', { class: `legend ${s.cls}` }, s.name)));
  return h('figure', { class: 'chart' }, svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': title }, parts), legend);
}
