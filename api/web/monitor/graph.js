// The task graph as an SVG DAG: one <g class="node" data-task-id> per task,
// one <path class="edge"> per dependency, layered left to right by
// dependency depth (a task sits one column right of its deepest dependency).

import { s, duration, parseTime, truncate } from './dom.js';

const W = 200;       // node width
const H = 66;        // node height
const GAP_X = 52;    // between columns
const GAP_Y = 18;    // between nodes of a column
const PAD = 14;

// depth(t) = 0 without dependencies, else 1 + the deepest dependency.
export function layers(tasks) {
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const depth = new Map();
  const visiting = new Set();
  const depthOf = (t) => {
    if (depth.has(t.id)) return depth.get(t.id);
    if (visiting.has(t.id)) return 0; // a cycle (the server refuses them): do not loop
    visiting.add(t.id);
    let d = 0;
    for (const dep of t.dependencies || []) {
      const parent = byId.get(dep);
      if (parent) d = Math.max(d, depthOf(parent) + 1);
    }
    visiting.delete(t.id);
    depth.set(t.id, d);
    return d;
  };
  const cols = [];
  tasks.forEach((t) => {
    const d = depthOf(t);
    (cols[d] ||= []).push(t);
  });
  // Order each column by the mean row of its dependencies (fewer crossings),
  // ties by template order.
  const row = new Map();
  const order = new Map(tasks.map((t, i) => [t.id, i]));
  cols.forEach((col, c) => {
    if (c > 0) {
      const key = (t) => {
        const rows = (t.dependencies || []).filter((d) => row.has(d)).map((d) => row.get(d));
        return rows.length ? rows.reduce((a, b) => a + b, 0) / rows.length : Infinity;
      };
      col.sort((a, b) => key(a) - key(b) || order.get(a.id) - order.get(b.id));
    }
    col.forEach((t, i) => row.set(t.id, i - (col.length - 1) / 2));
  });
  return cols.filter(Boolean);
}

function elapsed(task, now) {
  if (task.status === 'running') {
    const start = parseTime(task.startedAt);
    return start === null ? null : now - start;
  }
  return task.durationMs ?? null;
}

function metaText(task, now) {
  const parts = [task.status];
  if (task.attempt > 0) parts.push(`attempt ${task.attempt}${task.maxAttempts > 1 ? `/${task.maxAttempts}` : ''}`);
  const ms = elapsed(task, now);
  if (ms !== null) parts.push(duration(ms));
  return parts.join(' · ');
}

// Draws `tasks` into `svg` (replacing what was there). Returns a function that
// refreshes the running tasks' durations.
export function renderGraph(svg, tasks, { selectedId, onSelect } = {}) {
  const cols = layers(tasks);
  const rows = Math.max(1, ...cols.map((c) => c.length));
  const width = PAD * 2 + cols.length * W + Math.max(0, cols.length - 1) * GAP_X;
  const height = PAD * 2 + rows * H + (rows - 1) * GAP_Y;
  const pos = new Map();
  cols.forEach((col, c) => {
    const top = PAD + ((rows - col.length) * (H + GAP_Y)) / 2;
    col.forEach((t, i) => pos.set(t.id, { x: PAD + c * (W + GAP_X), y: top + i * (H + GAP_Y) }));
  });

  svg.replaceChildren();
  svg.setAttribute('viewBox', `0 0 ${Math.max(width, 1)} ${Math.max(height, 1)}`);
  svg.setAttribute('width', String(Math.max(width, 1)));
  svg.setAttribute('height', String(Math.max(height, 1)));
  svg.classList.toggle('wide', width > 1600);

  svg.append(s('defs', null,
    s('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: '9', refY: '5', markerWidth: '7', markerHeight: '7',
      orient: 'auto-start-reverse', markerUnits: 'strokeWidth' },
    s('path', { d: 'M0,0 L10,5 L0,10 z', class: 'arrowhead' }))));

  const byId = new Map(tasks.map((t) => [t.id, t]));
  const edges = s('g', { class: 'edges' });
  for (const t of tasks) {
    const to = pos.get(t.id);
    for (const dep of t.dependencies || []) {
      const from = pos.get(dep);
      if (!from || !to) continue;
      const x1 = from.x + W, y1 = from.y + H / 2, x2 = to.x - 2, y2 = to.y + H / 2;
      const dx = Math.max(24, (x2 - x1) / 2);
      const parent = byId.get(dep);
      edges.append(s('path', {
        class: ['edge', parent && parent.status === 'succeeded' ? 'edge-done' : null, t.status === 'running' ? 'edge-active' : null],
        d: `M${x1},${y1} C${x1 + dx},${y1} ${x2 - dx},${y2} ${x2},${y2}`,
        'marker-end': 'url(#arrow)',
        dataset: { from: dep, to: t.id },
      }, s('title', null, `${dep} → ${t.id}`)));
    }
  }
  svg.append(edges);

  const now = Date.now();
  const metas = [];
  const nodes = s('g', { class: 'nodes' });
  for (const t of tasks) {
    const p = pos.get(t.id);
    const pending = !!t.approval;
    const meta = s('text', { class: 'node-meta', x: 16, y: 56 }, metaText(t, now));
    metas.push([t, meta]);
    const g = s('g', {
      class: ['node', `status-${t.status}`, pending ? 'pending-approval' : null, t.id === selectedId ? 'selected' : null],
      transform: `translate(${p.x},${p.y})`,
      tabindex: '0',
      role: 'button',
      'aria-label': `${t.role} ${t.id}: ${t.status}${pending ? ', waiting for approval' : ''}`,
      dataset: { taskId: t.id, status: t.status, role: t.role },
    },
    s('title', null, `${t.name || t.id}\n${t.id} (${t.role})\n${metaText(t, now)}${t.error ? `\n${t.error}` : ''}${pending ? `\napproval pending (${t.approval.stage}): ${t.approval.reason || ''}` : ''}`),
    s('rect', { class: 'node-box', width: W, height: H, rx: 8, ry: 8 }),
    s('rect', { class: 'node-strip', width: 5, height: H - 16, x: 0, y: 8, rx: 2 }),
    s('text', { class: 'node-role', x: 16, y: 21 }, t.role),
    s('text', { class: 'node-id', x: 16, y: 38 }, truncate(t.id, 26)),
    meta);
    if (pending) {
      g.append(s('g', { class: 'node-flag', transform: `translate(${W - 18},18)` },
        s('circle', { r: 9 }), s('text', { 'text-anchor': 'middle', y: 4 }, '!')));
    } else if (t.status === 'running') {
      g.append(s('circle', { class: 'node-pulse', cx: W - 18, cy: 18, r: 5 }));
    }
    if (onSelect) {
      g.addEventListener('click', () => onSelect(t.id));
      g.addEventListener('keydown', (e) => {
        if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); onSelect(t.id); }
      });
    }
    nodes.append(g);
  }
  svg.append(nodes);

  return (at = Date.now()) => {
    for (const [t, el] of metas) if (t.status === 'running') el.textContent = metaText(t, at);
  };
}
