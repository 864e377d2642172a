// DOM helpers. Every piece of text from the server or a person goes in as a
// text node (textContent / createTextNode), never as HTML.

const SVG_NS = 'http://www.w3.org/2000/svg';

function setAttrs(el, attrs) {
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'style') throw new Error('inline style attributes are refused by the CSP');
    if (key === 'class') el.setAttribute('class', Array.isArray(value) ? value.filter(Boolean).join(' ') : value);
    else if (key === 'text') el.textContent = String(value);
    else if (key === 'dataset') for (const [k, v] of Object.entries(value)) { if (v !== undefined && v !== null) el.dataset[k] = String(v); }
    else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

// h('a', {href: '#/', class: 'x'}, 'text', otherNode)
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  return append(el, children);
}

export function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  setAttrs(el, attrs);
  return append(el, children);
}

export function $(selector, root = document) {
  return root.querySelector(selector);
}

export function clear(el) {
  el.replaceChildren();
  return el;
}

export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

// Replaces the options of a <select>, keeping the selected value when it still exists.
export function setOptions(select, options) {
  const keep = select.value;
  select.replaceChildren(...options.map(([value, label]) => h('option', { value }, label)));
  if (options.some(([value]) => value === keep)) select.value = keep;
}

// ---- formatting -----------------------------------------------------------

export function parseTime(iso) {
  if (!iso) return null;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : t;
}

// 950 ms -> "0.9s", 83 s -> "1m 23s", 2 h 5 m -> "2h 5m"
export function duration(ms) {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  if (ms < 0) ms = 0;
  if (ms < 10000) return `${(ms / 1000).toFixed(1)}s`;
  const sec = Math.floor(ms / 1000);
  if (sec < 60) return `${sec}s`;
  const min = Math.floor(sec / 60);
  if (min < 60) return `${min}m ${sec % 60}s`;
  const hr = Math.floor(min / 60);
  if (hr < 48) return `${hr}h ${min % 60}m`;
  return `${Math.floor(hr / 24)}d ${hr % 24}h`;
}

export function age(iso, now = Date.now()) {
  const t = parseTime(iso);
  return t === null ? '–' : duration(now - t);
}

export function clock(iso) {
  const t = parseTime(iso);
  if (t === null) return '–';
  const d = new Date(t);
  const pad = (n, w = 2) => String(n).padStart(w, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

export function dateTime(iso) {
  const t = parseTime(iso);
  if (t === null) return '–';
  const d = new Date(t);
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export function count(n) {
  if (n === null || n === undefined) return '–';
  return Number(n).toLocaleString('en-US');
}

export function shortId(id) {
  return typeof id === 'string' ? id.slice(0, 8) : '–';
}

export function truncate(text, max) {
  const str = String(text ?? '');
  return str.length > max ? `${str.slice(0, max - 1)}…` : str;
}

// A status badge: <span class="badge" data-status="running">running</span>
export function badge(status, extraClass) {
  return h('span', { class: ['badge', extraClass], dataset: { status } }, String(status ?? '–').replaceAll('_', ' '));
}

// A time element whose text is an age, refreshed by the page's ticker.
export function ageEl(iso, suffix = ' ago') {
  return h('time', { class: 'age', datetime: iso || undefined, title: iso ? dateTime(iso) : undefined,
    dataset: { ageOf: iso || '', ageSuffix: suffix } }, iso ? age(iso) + suffix : '–');
}

export function refreshAges(root = document, now = Date.now()) {
  for (const el of root.querySelectorAll('time.age[data-age-of]')) {
    const iso = el.dataset.ageOf;
    if (iso) el.textContent = age(iso, now) + (el.dataset.ageSuffix ?? '');
  }
}
