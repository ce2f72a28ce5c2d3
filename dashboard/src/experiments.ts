// Experiments: each report of GET /v1/experiments (the core's analysis):
// per-variant tables with intervals, a chart of the effect, SRM and
// sample-size warnings, and the verdict, as computed by the Worker.

import { call } from './api';
import { h, link, put } from './dom';
import { intervalChart } from './charts';

type Num = number | null;
interface Est { estimate: Num; ci_low: Num; ci_high: Num }
interface VsControl { absolute: Est | null; relative: Est | null; p_value: Num; chance_to_beat_control: Num; sequential: { p_value: Num; ci_low: Num; ci_high: Num } | null; significant: boolean }
interface MetricVariant { name: string; units: number; converted?: number; rate?: Num; mean?: Num; variance?: Num; vs_control: VsControl | null }
interface Report {
  flag: string;
  control: string;
  variants: { name: string; weight: number; units: number }[];
  multiple_exposures: number;
  srm: { p_value: Num; statistic: Num; df: number; mismatch: boolean } | null;
  sample_size: { baseline: Num; mde: number; alpha: number; power: number; per_variant_needed: Num; smallest_variant_units: number; progress: Num; days_elapsed: Num; days_remaining: Num };
  metrics: { event: string; kind: string; goal: string; variants: MetricVariant[] }[];
  verdict: { status: string; variant: string | null; metric: string; message: string };
}

const n = (x: Num | undefined, digits = 4) => (x === null || x === undefined ? '—' : Number(x.toPrecision(digits)).toString());
const pct = (x: Num | undefined) => (x === null || x === undefined ? '—' : `${(x * 100).toFixed(1)}%`);
const ci = (e: Est | null | undefined) => (e ? `${n(e.estimate)} [${n(e.ci_low)}, ${n(e.ci_high)}]` : '—');

function report(r: Report): HTMLElement {
  const ss = r.sample_size;
  const warnings: HTMLElement[] = [];
  if (r.srm?.mismatch) warnings.push(h('p', { class: 'notice error srm', role: 'alert' },
    `Sample ratio mismatch (p = ${n(r.srm.p_value)}): exposures do not follow the configured split. Do not read the figures until the cause is found.`));
  if (ss.per_variant_needed === null) warnings.push(h('p', { class: 'notice warn sample' }, 'Sample size unknown: no baseline rate yet.'));
  else if ((ss.progress ?? 0) < 1) warnings.push(h('p', { class: 'notice warn sample' },
    `Sample size: ${pct(ss.progress)} of the ${ss.per_variant_needed} units per variant needed (smallest variant ${ss.smallest_variant_units})${ss.days_remaining === null ? '' : `, about ${n(ss.days_remaining, 3)} days to go`}.`));
  if (r.multiple_exposures) warnings.push(h('p', { class: 'notice warn' }, `${r.multiple_exposures} units saw several variants and are left out.`));
  return h('section', { class: 'experiment', 'data-flag': r.flag },
    h('h2', {}, link(['flag', r.flag], r.flag)),
    h('p', { class: `verdict ${r.verdict.status}`, id: `verdict-${r.flag}` }, h('span', { class: `badge ${r.verdict.status}` }, r.verdict.status.replace(/_/g, ' ')), ' ', r.verdict.message),
    warnings,
    h('table', { class: 'exp-variants' }, h('thead', {}, h('tr', {}, ['Variant', 'Weight', 'Units'].map((t) => h('th', {}, t)))),
      h('tbody', {}, r.variants.map((v) => h('tr', {}, h('td', {}, v.name, v.name === r.control ? ' (control)' : ''), h('td', { class: 'num' }, `${v.weight}%`), h('td', { class: 'num' }, String(v.units)))))),
    r.metrics.map((m) => h('div', { class: 'metric' },
      h('h3', {}, `${m.event} (${m.kind}, goal: ${m.goal})`),
      h('div', { class: 'scroll' }, h('table', { class: 'exp-metric' },
        h('thead', {}, h('tr', {}, ['Variant', 'Units', m.kind === 'conversion' ? 'Converted' : 'Mean', m.kind === 'conversion' ? 'Rate' : 'Variance', 'Δ vs control [CI]', 'Relative [CI]', 'p', 'Chance to beat', 'Always-valid CI', 'Significant'].map((t) => h('th', {}, t)))),
        h('tbody', {}, m.variants.map((v) => h('tr', {},
          h('td', {}, v.name), h('td', { class: 'num' }, String(v.units)),
          h('td', { class: 'num' }, m.kind === 'conversion' ? String(v.converted ?? '—') : n(v.mean)),
          h('td', { class: 'num' }, m.kind === 'conversion' ? pct(v.rate) : n(v.variance)),
          h('td', {}, v.vs_control ? ci(v.vs_control.absolute) : 'control'),
          h('td', {}, v.vs_control ? ci(v.vs_control.relative) : ''),
          h('td', { class: 'num' }, v.vs_control ? n(v.vs_control.p_value) : ''),
          h('td', { class: 'num' }, v.vs_control ? pct(v.vs_control.chance_to_beat_control) : ''),
          h('td', {}, v.vs_control?.sequential ? `[${n(v.vs_control.sequential.ci_low)}, ${n(v.vs_control.sequential.ci_high)}]` : ''),
          h('td', {}, v.vs_control ? (v.vs_control.significant ? 'yes' : 'no') : '')))))),
      intervalChart(m.variants.flatMap((v) => (v.vs_control ? [{
        label: v.name,
        estimate: v.vs_control.absolute?.estimate ?? null,
        low: v.vs_control.sequential?.ci_low ?? v.vs_control.absolute?.ci_low ?? null,
        high: v.vs_control.sequential?.ci_high ?? v.vs_control.absolute?.ci_high ?? null,
      }] : [])), `${m.event}: difference from ${r.control} (dot) with its always-valid interval`))));
}

export async function experimentsPage(root: HTMLElement, parts: string[]): Promise<void> {
  const a = await call<{ experiments: Report[] }>('/v1/experiments');
  const list = parts[0] ? a.data.experiments.filter((r) => r.flag === parts[0]) : a.data.experiments;
  put(root, h('h1', {}, 'Experiments'),
    parts[0] ? h('p', {}, link(['experiments'], '← All experiments')) : null,
    list.length ? list.map(report) : h('p', { class: 'muted' }, 'No experiment in the current ruleset.'));
}
