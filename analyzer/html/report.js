/* SPDX-License-Identifier: MIT */
/*
 * report.js - renders heaptrace's HTML report from the JSON blob that
 * heaptrace-report writes into the page (<script id="ht-data">, report_html.c):
 * the verdict and suspects, memory over time, a flame graph, the dominator
 * tree, leaks and the process tree. Plain DOM and SVG, no library, no
 * network: the page works from file://. Data is only ever set as text
 * (textContent, attributes), never parsed as HTML.
 */
(function () {
  'use strict';

  const D = JSON.parse(document.getElementById('ht-data').textContent);
  /* [name, file, line, module, inlined, flags]; flags (userframe.h): 1 system
   * code (not the program's), 2 heaptrace's own, 4 below main, 8 main */
  const FR = D.frames;
  const SVGNS = 'http://www.w3.org/2000/svg';
  let P = D.procs[D.selected] || D.procs[0];

  /* ------------------------------------------------------------ helpers */

  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const k in attrs || {}) {
      const v = attrs[k];
      if (v === null || v === undefined || v === false) continue;
      if (k === 'text') e.textContent = v;
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? '' : v);
    }
    for (const c of kids.flat()) if (c !== null && c !== undefined && c !== false)
      e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    return e;
  }
  function sv(tag, attrs, ...kids) {
    const e = document.createElementNS(SVGNS, tag);
    for (const k in attrs || {}) if (attrs[k] !== null && attrs[k] !== undefined) e.setAttribute(k, attrs[k]);
    for (const c of kids) if (c) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    return e;
  }
  function bytes(n) {
    if (n === null || n === undefined || !isFinite(n)) return '?';
    const neg = n < 0; n = Math.abs(n);
    const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let i = 0;
    while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
    const s = i === 0 ? String(Math.round(n)) : n.toFixed(n < 10 ? 2 : n < 100 ? 1 : 0);
    return (neg ? '-' : '') + s + ' ' + u[i];
  }
  function count(n) { return Number(n).toLocaleString('en-US'); }
  function secs(s) {
    if (s === 0) return '0';
    if (s < 1e-3) return (s * 1e6).toFixed(0) + ' µs';
    if (s < 1) return (s * 1e3).toFixed(s < 0.01 ? 2 : 1) + ' ms';
    if (s < 120) return s.toFixed(s < 10 ? 2 : 1) + ' s';
    return (s / 60).toFixed(1) + ' min';
  }
  function base(p) { return p ? p.slice(p.lastIndexOf('/') + 1) : p; }
  /* C++ names as a person reads them: no parameters, template arguments folded. */
  const shortNames = new Map();
  function shortName(n) {
    let s = shortNames.get(n);
    if (s !== undefined) return s;
    let out = '', angle = 0;
    for (let k = 0; k < n.length; k++) {
      const c = n[k];
      if (c === '(' && angle === 0 && k > 0 && !n.startsWith('(anonymous', k)) break;
      if (c === '<' && !n.startsWith('<lambda', k) && n[k + 1] !== '<' && n[k + 1] !== '=') { if (angle++ === 0) out += '<…>'; continue; }
      if (c === '>' && angle > 0) { angle--; continue; }
      if (angle === 0) out += c;
    }
    shortNames.set(n, out);
    return out;
  }
  function frameName(i) { return FR[i] ? shortName(FR[i][0]) : '?'; }
  function frameLoc(i) {
    const f = FR[i];
    return f && f[1] ? base(f[1]) + (f[2] ? ':' + f[2] : '') : (f && f[3] ? f[3] : '');
  }
  function frameWords(i) {
    if (i === null || i === undefined) return '';
    const loc = FR[i] && !FR[i][1] && FR[i][0].includes('+0x') ? '' : frameLoc(i);
    return frameName(i) + (loc ? ' (' + loc + ')' : '');
  }
  function systemFrame(i) { return !FR[i] || (FR[i][5] & 1) !== 0; }
  /* The first frame of the program's own code, else the innermost. */
  function userFrame(stack) {
    for (const i of stack || []) if (!systemFrame(i)) return i;
    return stack && stack.length ? stack[0] : null;
  }
  /* The stack a person reads: nothing below main, heaptrace's own frames out. */
  function trimStack(stack) {
    const st = stack || [];
    let end = st.findIndex((i) => FR[i] && FR[i][5] & 8);
    end = end < 0 ? st.length : end + 1;
    return st.slice(0, end).filter((i) => FR[i] && !(FR[i][5] & 6));
  }
  /* A round step near `raw`: 1, 2, 2.5 or 5 times a power of ten, in the
   * unit (KiB, MiB...) raw falls in when base is 1024. */
  function niceStep(raw, b) {
    let unit = 1;
    if (b === 1024) while (raw >= 1024 * unit) unit *= 1024;
    const r = raw / unit, p = Math.pow(10, Math.floor(Math.log10(r)));
    const m = [1, 2, 2.5, 5, 10].find((x) => x * p >= r) || 10;
    return m * p * unit;
  }
  function hashHue(s) {
    let h = 2166136261;
    for (let k = 0; k < s.length; k++) h = Math.imul(h ^ s.charCodeAt(k), 16777619);
    return (h >>> 0) % 360;
  }
  const tip = el('div', { class: 'tip', role: 'tooltip', hidden: true });
  function showTip(ev, lines) {
    tip.replaceChildren(...lines.map((l) => el('div', { text: l })));
    tip.hidden = false;
    const x = Math.min(ev.clientX + 14, window.innerWidth - tip.offsetWidth - 8);
    const y = Math.min(ev.clientY + 14, window.innerHeight - tip.offsetHeight - 8);
    tip.style.left = x + 'px';
    tip.style.top = y + 'px';
  }
  function hideTip() { tip.hidden = true; }

  /* ------------------------------------------------------------ theme */

  const root = document.documentElement;
  function storedTheme() { try { return localStorage.getItem('heaptrace-theme'); } catch (e) { return null; } }
  function currentDark() {
    const t = root.getAttribute('data-theme');
    if (t) return t === 'dark';
    return window.matchMedia && window.matchMedia('(prefers-color-scheme: dark)').matches;
  }
  if (storedTheme()) root.setAttribute('data-theme', storedTheme());
  function toggleTheme() {
    const next = currentDark() ? 'light' : 'dark';
    root.setAttribute('data-theme', next);
    try { localStorage.setItem('heaptrace-theme', next); } catch (e) { /* file:// may refuse */ }
    render();
  }
  /* Colours stay CSS variables (set through style, where var() works), so
   * the theme decides them */
  function cssVar(name) { return `var(${name})`; }

  /* ------------------------------------------------------------ stacks, paths */

  function stackList(stack, max) {
    const t = trimStack(stack);
    const user = userFrame(t);
    const ul = el('ol', { class: 'stack mono' });
    const lim = max || 12;
    t.slice(0, lim).forEach((i) => {
      const f = FR[i];
      ul.append(el('li', { class: i === user ? 'user' : systemFrame(i) ? 'sys' : null, title: f[0] },
        frameName(i), ' ', el('span', { class: 'loc', text: frameLoc(i) + (f[4] ? ' (inlined)' : '') })));
    });
    if (t.length > lim) {
      const more = el('li', {}, el('button', {
        text: (t.length - lim) + ' more frames', onclick: () => more.replaceWith(...t.slice(lim).map((i) =>
          el('li', { class: systemFrame(i) ? 'sys' : null }, frameName(i), ' ',
            el('span', { class: 'loc', text: frameLoc(i) })))),
      }));
      ul.append(more);
    }
    return ul;
  }
  function rootWords(r) {
    if (!r) return 'a root';
    switch (r.kind) {
      case 'global': return 'global ' + (r.name ? '`' + r.name + '`' + (r.offset ? '+' + r.offset : '') : 'data') +
        (r.module ? ' in ' + base(r.module) : '');
      case 'stack': return 'stack of thread ' + r.thread + (r.thread_name ? ' "' + r.thread_name + '"' : '') +
        (r.function ? ', in ' + r.function + (r.file ? ' (' + base(r.file) + (r.line ? ':' + r.line : '') + ')' : '') : '');
      case 'tls': case 'register': return r.kind + ' of thread ' + r.thread + (r.thread_name ? ' "' + r.thread_name + '"' : '');
      default: return r.kind + (r.address ? ' at ' + r.address : '');
    }
  }
  function pathList(p) {
    if (!p) return el('p', { class: 'muted', text: 'no path from a root: nothing the program can reach holds it' });
    const ol = el('ol', { class: 'path mono' });
    ol.append(el('li', { class: 'root' }, el('b', { text: rootWords(p.root) })));
    let k = 0;
    while (k < p.steps.length) {
      const s = p.steps[k];
      if (s.elided !== undefined) { ol.append(el('li', { class: 'muted', text: '… ' + count(s.elided) + ' more blocks' })); k++; continue; }
      let run = 1;
      const uf = userFrame(s.stack);
      while (k + run < p.steps.length && p.steps[k + run].stack && userFrame(p.steps[k + run].stack) === uf) run++;
      ol.append(el('li', {}, (run > 1 ? run + ' blocks' : bytes(s.size) + ' block') + ' from ',
        el('b', { text: frameWords(uf) }),
        el('span', { class: 'muted', text: run > 1 || k + 1 === p.steps.length ? '' : ', pointer at +' + s.offset })));
      k += run;
    }
    return ol;
  }

  /* ------------------------------------------------------------ charts */

  /*
   * A line chart of several series over time (seconds): series
   * [{name, color, t, y, width, area, fmt}], marks (times), points
   * [{t, y, label}]. Draws into an SVG of the container's width.
   */
  function lineChart(opt) {
    const W = opt.width, H = opt.height || 260, L = 70, R = 14, T = 10, B = 26;
    const svg = sv('svg', { class: 'chart', width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: 'img',
      'aria-label': opt.label || 'chart' });
    const shown = opt.series.filter((s) => s.t.length && !s.hidden);
    let t0 = Infinity, t1 = -Infinity, y1 = 0;
    for (const s of opt.series) {
      if (!s.t.length) continue;
      t0 = Math.min(t0, s.t[0]); t1 = Math.max(t1, s.t[s.t.length - 1]);
    }
    for (const s of shown) for (const v of s.y) y1 = Math.max(y1, v);
    for (const p of opt.points || []) y1 = Math.max(y1, p.y);
    if (!isFinite(t0)) { t0 = 0; t1 = 1; }
    if (t1 <= t0) t1 = t0 + 1e-3;
    if (y1 <= 0) y1 = 1;
    const step = niceStep(y1 / 4, (opt.fmt || bytes) === bytes ? 1024 : 1000);
    y1 = Math.ceil(y1 * 1.02 / step) * step;
    const X = (t) => L + (t - t0) / (t1 - t0) * (W - L - R);
    const Y = (v) => T + (1 - v / y1) * (H - T - B);
    const fmt = opt.fmt || bytes;
    for (let v = 0; v <= y1 + step / 2; v += step) {
      const y = Y(v);
      svg.append(sv('line', { class: 'grid', x1: L, x2: W - R, y1: y, y2: y }));
      svg.append(sv('text', { x: L - 6, y: y + 4, 'text-anchor': 'end' }, fmt(v)));
    }
    for (let k = 0; k <= 6; k++) {
      const t = t0 + (t1 - t0) * k / 6;
      svg.append(sv('text', { x: X(t), y: H - 8, 'text-anchor': k === 0 ? 'start' : k === 6 ? 'end' : 'middle' },
        opt.xfmt ? opt.xfmt(t) : secs(t)));
    }
    for (const m of opt.marks || [])
      svg.append(sv('line', { class: 'markline', x1: X(m), x2: X(m), y1: H - B, y2: H - B + 5 }));
    for (const s of shown) {
      let d = '';
      for (let k = 0; k < s.t.length; k++) d += (k ? 'L' : 'M') + X(s.t[k]).toFixed(1) + ' ' + Y(s.y[k]).toFixed(1);
      if (s.area && s.t.length) {
        const a = d + `L${X(s.t[s.t.length - 1]).toFixed(1)} ${Y(0)}L${X(s.t[0]).toFixed(1)} ${Y(0)}Z`;
        svg.append(sv('path', { d: a, style: `fill:${s.color};fill-opacity:0.18;stroke:none` }));
      }
      svg.append(sv('path', { d, style: `fill:none;stroke:${s.color}`, 'stroke-width': s.width || 1.6,
        'stroke-dasharray': s.dash || null, 'stroke-linejoin': 'round' }));
    }
    for (const p of opt.points || []) {
      const c = sv('circle', { cx: X(p.t), cy: Y(p.y), r: 4.5, style: `fill:var(--bg);stroke:${p.color || 'var(--fg)'}`, 'stroke-width': 2 });
      c.append(sv('title', {}, p.label));
      svg.append(c);
    }
    const cursor = sv('line', { x1: 0, x2: 0, y1: T, y2: H - B, style: 'stroke:var(--muted)', 'stroke-width': 1, visibility: 'hidden' });
    svg.append(cursor);
    svg.addEventListener('mousemove', (ev) => {
      const r = svg.getBoundingClientRect();
      const x = ev.clientX - r.left;
      if (x < L || x > W - R) { hideTip(); cursor.setAttribute('visibility', 'hidden'); return; }
      const t = t0 + (x - L) / (W - L - R) * (t1 - t0);
      cursor.setAttribute('x1', x); cursor.setAttribute('x2', x); cursor.setAttribute('visibility', 'visible');
      const lines = [(opt.xfmt ? opt.xfmt(t) : secs(t))];
      for (const s of shown) {
        let best = 0;
        for (let k = 0; k < s.t.length; k++) if (Math.abs(s.t[k] - t) < Math.abs(s.t[best] - t)) best = k;
        lines.push(s.name + ': ' + fmt(s.y[best]));
      }
      showTip(ev, lines);
    });
    svg.addEventListener('mouseleave', () => { hideTip(); cursor.setAttribute('visibility', 'hidden'); });
    return svg;
  }

  function chartWithLegend(opt, into) {
    const box = el('div', {});
    const legend = el('div', { class: 'legend', role: 'group', 'aria-label': 'series shown' });
    function draw() {
      opt.width = Math.max(480, (into.clientWidth || 1100));
      box.replaceChildren(lineChart(opt));
    }
    for (const s of opt.series) {
      if (!s.t.length) continue;
      const b = el('button', { 'aria-pressed': s.hidden ? 'false' : 'true', title: 'show or hide ' + s.name },
        el('span', { class: 'sw', style: `background:${s.color}` }), s.name);
      b.addEventListener('click', () => {
        s.hidden = !s.hidden; b.setAttribute('aria-pressed', s.hidden ? 'false' : 'true'); draw();
      });
      legend.append(b);
    }
    into.append(legend, box);
    draw();
  }

  /* ------------------------------------------------------------ sections */

  const KIND_WORDS = { table: 'table', chain: 'chain', held_growth: 'growth', growth: 'growth', leak: 'leak', dark_matter: 'dark matter' };
  function userSuspects(p) { return (p.suspects || []).filter((x) => !x.system); }
  function verdict(p) {
    const v = document.getElementById('verdict');
    const s = userSuspects(p);
    if (!p.detailed) {
      v.className = 'verdict';
      v.textContent = 'process ' + p.pid + ': peak ' + bytes(p.summary.peak_bytes) + ', nothing to report';
    } else if (s.length) {
      v.className = 'verdict';
      v.replaceChildren(el('b', { class: 'bad', text: (s.length === 1 ? '1 suspect' : s.length + ' suspects') + ' in your code' }),
        ', the first: ' + s[0].headline);
    } else if (p.summary.leaked_bytes && p.leaks && p.leaks[0].bytes) {
      v.className = 'verdict bad';
      v.textContent = bytes(p.leaks[0].bytes) + ' definitely lost';
    } else {
      v.className = 'verdict ok';
      v.textContent = 'no growth and no lost memory found';
    }
  }

  function summaryLine(p) {
    const s = p.summary;
    const items = [
      ['peak heap', bytes(s.peak_bytes) + ' at ' + secs(s.peak_time_s)],
      s.leaked_means === 'lost' ? ['lost at exit', bytes(s.leaked_bytes) + ' in ' + count(s.leaked_blocks) + ' blocks']
        : ['live at exit', bytes(s.live_at_exit_bytes) + ' in ' + count(s.live_at_exit_blocks) + ' blocks'],
      ['allocations', count(s.allocations)],
      ['run', secs(s.duration_s)],
    ];
    if (s.peak_rss_bytes) items.push(['peak RSS', bytes(s.peak_rss_bytes)]);
    if (s.marks) items.push(['marks', count(s.marks)]);
    if (p.snapshots && p.snapshots.length) items.push(['snapshots', String(p.snapshots.length)]);
    if (D.procs.length > 1) items.push(['processes', String(D.procs.length)]);
    const div = el('div', { class: 'summary' }, items.map(([k, v]) => el('span', {}, k + ' ', el('b', { text: v }))));
    if (s.lost_events) div.append(el('span', { class: 'verdict bad', text: count(s.lost_events) + ' events lost: numbers are lower bounds' }));
    if (s.truncation) div.append(el('span', { class: 'verdict bad', text: s.truncation }));
    if (s.sample_every) div.append(el('span', { class: 'verdict', text: 'sampled every ' + bytes(s.sample_every) + ': sizes and counts are estimates, no heap snapshot' }));
    return div;
  }

  function seriesChart(title, t, ys, into) {
    const colors = [cssVar('--bad'), cssVar('--accent'), cssVar('--s1'), cssVar('--s3')];
    const series = ys.map(([name, y], k) => ({ name, t, y, color: colors[k % colors.length], width: 2 }));
    const box = el('div', { class: 'mini' });
    into.append(el('h3', { text: title }), box);
    const fmt = ys.every(([n]) => !/bytes|owned|holding/.test(n)) ? count : bytes;
    box.append(lineChart({ width: Math.min(760, Math.max(420, into.clientWidth || 700)), height: 170, series, fmt,
      label: title }));
    const legend = el('div', { class: 'legend' });
    for (const s of series) legend.append(el('span', {}, el('span', { class: 'sw', style: `background:${s.color}` }), ' ' + s.name));
    box.append(legend);
  }

  /* The growth series behind a suspect, in log seconds, or null. */
  function seriesOf(s) {
    const f = s.growth !== undefined && P.growth && P.growth.findings[s.growth];
    return f && f.series.t.length ? { t: f.series.t.map((x) => x + f.series.t0), y: f.series.y } : null;
  }
  function suspectEvidence(s, box) {
    if (s.where !== null && s.where !== undefined)
      box.append(el('p', {}, s.system ? 'in system code: ' : 'in your code: ', el('b', { class: 'mono user-frame', text: frameWords(s.where) }),
        s.caller !== null && s.caller !== undefined ? el('span', { class: 'muted', text: ', called from ' + frameWords(s.caller) }) : null));
    if (s.share && s.share.of) {
      const pct = 100 * s.share.n / s.share.of;
      box.append(el('div', { class: 'share' }, el('div', { class: 'bar' }, el('span', { style: `width:${pct.toFixed(1)}%` })),
        el('span', { text: count(s.share.n) + ' of ' + count(s.share.of) + ' ' + (s.share.what || 'bytes') +
          ' (' + pct.toFixed(1) + '%)' + (s.path ? ' via ' + rootWords(s.path.root) : '') })));
    }
    if (s.stack) { box.append(el('h3', { text: 'allocated at' })); box.append(stackList(s.stack)); }
    if ('path' in s) {
      box.append(el('h3', { text: 'held by' }));
      if (s.path || s.kind === 'leak') box.append(pathList(s.path));
      else box.append(el('p', { class: 'muted', text: 'no holder known: no heap snapshot has these blocks on a path from a root' }));
    }
    const tb = s.table !== undefined && P.tables[s.table], ch = s.chain !== undefined && P.chains[s.chain];
    if (tb) seriesChart('dead and live entries per snapshot', tb.points.map((x) => x.t),
      [['dead entries', tb.points.map((x) => x.dead)], ['live entries', tb.points.map((x) => x.live)]], box);
    if (ch) seriesChart('chain length per snapshot', ch.points.map((x) => x.t), [['linked blocks', ch.points.map((x) => x.length)]], box);
    if (s.gc_chart && P.gc) {
      const box2 = el('div', {});
      box.append(el('h3', { text: 'GC heap and dark matter at each collection' }), box2);
      box2.append(lineChart({ width: Math.min(760, Math.max(420, box.clientWidth || 700)), height: 190, label: 'GC heap and dark matter',
        series: [{ name: 'GC heap', t: P.gc.t, y: P.gc.heap, color: cssVar('--gc'), width: 2, area: true },
          { name: 'dark matter', t: P.gc.t, y: P.gc.dark, color: cssVar('--dark'), width: 2, area: true }] }));
      box2.append(el('div', { class: 'legend' }, el('span', {}, el('span', { class: 'sw', style: 'background:var(--gc)' }), ' GC heap'),
        el('span', {}, el('span', { class: 'sw', style: 'background:var(--dark)' }), ' dark matter (malloc)')));
    }
    const ser = seriesOf(s);
    if (ser) seriesChart('live bytes over the run', ser.t, [['live bytes', ser.y]], box);
  }

  function suspectsSection(p) {
    const sec = el('section', { id: 'suspects', 'aria-labelledby': 'h-suspects' },
      el('h2', { id: 'h-suspects', text: 'Suspects' }));
    const all = p.suspects || [], s = all.filter((x) => !x.system), sys = all.filter((x) => x.system);
    if (!s.length) sec.append(el('p', { class: 'empty', text: 'nothing grows in your code, and none of its memory is lost' }));
    const ol = el('ol', { class: 'suspects' });
    const item = (x, k) => {
      const ev = el('div', { class: 'evidence', id: 'ev-' + k, hidden: true });
      const head = el('button', { class: 'suspect-head', 'aria-expanded': 'false', 'aria-controls': 'ev-' + k },
        el('span', { class: 'chev', 'aria-hidden': 'true', text: '▸' }),
        el('span', { class: 'n', text: (k + 1) + '.' }),
        el('span', { class: 'hl' }, el('span', { class: 'kind', text: KIND_WORDS[x.kind] || x.kind }), el('span', { class: 'headline', text: x.headline }),
          x.where !== null && x.where !== undefined ? el('span', { class: 'where mono', text: frameWords(x.where) }) : null),
        el('span', { class: 'size', text: bytes(x.bytes) }));
      let filled = false;
      head.addEventListener('click', () => {
        const open = head.getAttribute('aria-expanded') !== 'true';
        head.setAttribute('aria-expanded', String(open));
        head.querySelector('.chev').textContent = open ? '▾' : '▸';
        if (open && !filled) { suspectEvidence(x, ev); filled = true; }
        ev.hidden = !open;
      });
      return el('li', { class: 'suspect' + (x.system ? ' system' : '') }, head, ev);
    };
    s.forEach((x, k) => ol.append(item(x, k)));
    sec.append(ol);
    if (sys.length) {
      /* glibc's, the loader's, libstdc++'s own: one line unless asked for */
      const more = el('ol', { class: 'suspects', start: s.length + 1, hidden: true });
      sys.forEach((x, k) => more.append(item(x, s.length + k)));
      const total = sys.reduce((a, x) => a + x.bytes, 0);
      const b = el('button', { 'aria-expanded': 'false', text: sys.length + ' more in system code (' + bytes(total) + '): show' });
      b.addEventListener('click', () => { more.hidden = !more.hidden; b.setAttribute('aria-expanded', String(!more.hidden));
        b.textContent = sys.length + ' more in system code (' + bytes(total) + '): ' + (more.hidden ? 'show' : 'hide'); });
      sec.append(el('p', {}, b), more);
    }
    return sec;
  }

  function memorySection(p) {
    const sec = el('section', { id: 'memory', 'aria-labelledby': 'h-memory' },
      el('h2', { id: 'h-memory', text: 'Memory over time' }));
    const tl = p.timeline || { t: [] };
    const series = [];
    const gc = p.gc;
    if (gc && gc.t.length) {
      const peakDark = Math.max(0, ...gc.dark), peakHeap = Math.max(0, ...gc.heap);
      const ratio = peakHeap ? peakDark / peakHeap : 0;
      const note = el('p', { class: 'gcnote' }, 'garbage-collected program: GC heap peak ', el('b', { style: 'color:var(--gc)', text: bytes(peakHeap) }),
        ', malloc memory the collector cannot see (dark matter) peak ', el('b', { text: bytes(peakDark) }),
        ' = ' + (ratio * 100).toFixed(0) + '% of the GC heap, over ' + count(gc.collections) + ' collections' +
        (gc.runs_too_rarely ? ': the GC runs too rarely for the finalizers that free it' : ''));
      sec.append(note);
      series.push({ name: 'GC heap', t: gc.t, y: gc.heap, color: cssVar('--gc'), width: 2.4, area: true });
      series.push({ name: 'dark matter (malloc heap)', t: gc.t, y: gc.dark, color: cssVar('--dark'), width: 2.4, area: true });
    } else {
      series.push({ name: 'live heap', t: tl.t, y: tl.heap, color: cssVar('--heap'), width: 2.2, area: true });
    }
    if (gc && gc.t.length) series.push({ name: 'live heap (malloc)', t: tl.t, y: tl.heap, color: cssVar('--heap'), width: 1.2, hidden: true });
    const palette = ['--s1', '--s2', '--s3', '--s4', '--s5'];
    let pk = 0;
    for (const kind in tl.owners || {}) {
      series.push({ name: (gc ? 'dark matter: ' : '') + 'behind ' + kind + ' handles', t: tl.t, y: tl.owners[kind],
        color: cssVar(palette[pk++ % palette.length]), width: 1.6, dash: '5 3' });
    }
    if (tl.mmap && tl.mmap.some((v) => v)) series.push({ name: 'mmap', t: tl.t, y: tl.mmap, color: cssVar('--mmap'), width: 1.2, hidden: true });
    if (tl.rss && tl.rss.some((v) => v)) {
      /* shown at first only when it does not flatten the heap */
      const peakOf = (y) => y.reduce((a, b) => Math.max(a, b), 0);
      const heapPeak = Math.max(peakOf(tl.heap || []), gc ? peakOf(gc.heap) : 0);
      series.push({ name: 'RSS', t: tl.t, y: tl.rss, color: cssVar('--rss'), width: 1.2, dash: '2 2', hidden: peakOf(tl.rss) > 2 * heapPeak });
    }
    userSuspects(p).filter((s) => seriesOf(s)).slice(0, 3).forEach((s) => {
      const ser = seriesOf(s);
      series.push({ name: 'suspect: ' + frameWords(s.where), t: ser.t, y: ser.y,
        color: cssVar(palette[pk++ % palette.length]), width: 1.8 });
    });
    /* the sites that grow most, beside the suspects (hidden at first) */
    const drawn = new Set(userSuspects(p).map((s) => s.growth));
    ((p.growth && p.growth.findings) || []).map((f, k) => [f, k]).filter(([f, k]) => f.by === 'site' && !drawn.has(k) && f.series.t.length)
      .slice(0, 3).forEach(([f]) => series.push({ name: 'site: ' + frameWords(userFrame(f.stack)), t: f.series.t.map((x) => x + f.series.t0),
        y: f.series.y, color: cssVar(palette[pk++ % palette.length]), width: 1.4, dash: '1 3', hidden: true }));
    const points = (p.snapshots || []).map((s) => ({ t: s.t, y: s.live, color: cssVar('--fg'),
      label: 'snapshot #' + s.seq + ' (' + s.reason + ') at ' + secs(s.t) + ': ' + bytes(s.live) + ' live, ' + bytes(s.reachable) + ' reachable' }));
    const marks = (p.marks && p.marks.t) || [];
    const box = el('div', {});
    sec.append(box);
    const note = [];
    if (marks.length) note.push('ticks on the time axis: ' + (p.marks.every > 1 ? 'every ' + p.marks.every + 'th ' : '') + 'mark' + (p.marks.label ? ' "' + p.marks.label + '"' : ''));
    if (points.length) note.push('circles: heap snapshots');
    sec.append(el('p', { class: 'muted', text: note.join('; ') }));
    requestAnimationFrame(() => chartWithLegend({ series, marks, points, height: 300, label: 'memory over time' }, box));
    return sec;
  }

  /* ------------------------------------------------------------ flame graph */

  const METRICS = [['peak', 'live at the peak'], ['leaked', 'live at exit'], ['allocated', 'bytes allocated'], ['growth', 'growth']];

  function flameTree(p) {
    const rootN = { f: -1, v: [0, 0, 0, 0], kids: new Map(), parent: null, depth: 0 };
    for (const s of p.sites || []) {
      const st = trimStack(s[4]);
      let n = rootN;
      for (let m = 0; m < 4; m++) n.v[m] += s[m];
      for (let k = st.length - 1; k >= 0; k--) {
        const f = st[k];
        let c = n.kids.get(f);
        if (!c) { c = { f, v: [0, 0, 0, 0], kids: new Map(), parent: n, depth: n.depth + 1 }; n.kids.set(f, c); }
        for (let m = 0; m < 4; m++) c.v[m] += s[m];
        n = c;
      }
    }
    if (p.sites_other && p.sites_other.some((v) => v)) {
      const o = { f: -2, v: p.sites_other.slice(), kids: new Map(), parent: rootN, depth: 1 };
      rootN.kids.set(-2, o);
      for (let m = 0; m < 4; m++) rootN.v[m] += o.v[m];
    }
    return rootN;
  }

  function flameSection(p) {
    const sec = el('section', { id: 'flame', 'aria-labelledby': 'h-flame' },
      el('h2', { id: 'h-flame', text: 'Flame graph' }));
    const tree = flameTree(p);
    let metric = 0, zoom = tree, sel = tree, query = '';
    const tools = el('div', { class: 'flame-tools' });
    const mbtn = METRICS.map(([name, what], k) => el('button', {
      'aria-pressed': String(k === metric), title: what, text: name,
      onclick: () => { metric = k; mbtn.forEach((b, j) => b.setAttribute('aria-pressed', String(j === k))); zoom = tree; sel = tree; draw(); },
    }));
    const search = el('input', { type: 'search', id: 'flame-search', placeholder: 'search functions, files (/)', 'aria-label': 'search the flame graph', size: 28 });
    search.addEventListener('input', () => { query = search.value.trim().toLowerCase(); draw(); });
    const reset = el('button', { text: 'reset zoom', onclick: () => { zoom = tree; sel = tree; draw(); } });
    tools.append(el('span', { class: 'muted', text: 'metric' }), ...mbtn, el('span', { class: 'sep' }), search, reset);
    const info = el('div', { id: 'flame-info', 'aria-live': 'polite' });
    const box = el('div', { class: 'flame', tabindex: '0', role: 'tree', 'aria-label': 'flame graph: arrow keys move, Enter zooms, Escape resets' });
    sec.append(tools, info, box,
      el('p', { class: 'muted', text: 'icicle: callers on top, the allocating frames below; width is the metric. Click a frame to zoom, keys: arrows move, Enter zooms, Escape resets, / searches. ' +
        (p.sites_total > (p.sites || []).length ? 'Showing the ' + (p.sites || []).length + ' largest of ' + count(p.sites_total) + ' allocation sites; the rest is "other sites".' : '') }));
    const name = (n) => n.f === -1 ? 'all' : n.f === -2 ? 'other sites' : frameName(n.f);
    const matches = (n) => n.f >= 0 && query && (frameName(n.f).toLowerCase().includes(query) || frameLoc(n.f).toLowerCase().includes(query));
    function describe(n) {
      const tot = zoom.v[metric] || 1;
      return name(n) + (n.f >= 0 && frameLoc(n.f) ? ' (' + frameLoc(n.f) + ')' : '') + ': ' +
        (metric === 3 || metric < 3 ? bytes(n.v[metric]) : '') + ' = ' + (100 * n.v[metric] / tot).toFixed(1) + '% of ' + name(zoom);
    }
    function draw() {
      const W = Math.max(400, box.clientWidth || 1100), RH = 18;
      const frag = document.createDocumentFragment();
      let maxDepth = 0, hits = 0, hitSum = 0, drawn = 0;
      const total = zoom.v[metric];
      const dark = currentDark();
      function visit(n, x, w, depth, counted) {
        if (w < 1.5 || drawn > 4000) return; /* slivers nobody can read or hit */
        drawn++;
        maxDepth = Math.max(maxDepth, depth);
        const d = el('div', { class: 'fr', role: 'treeitem', 'aria-label': describe(n) });
        d.style.left = x.toFixed(1) + 'px'; d.style.top = (depth * RH) + 'px'; d.style.width = Math.max(1, w - 1).toFixed(1) + 'px';
        const sys = n.f >= 0 && systemFrame(n.f);
        const hue = n.f < 0 ? 210 : sys ? 35 + hashHue(name(n)) % 25 : hashHue(name(n)) % 50;
        d.style.background = n.f === -1 ? (dark ? '#3b434c' : '#cfd6dd') : `hsl(${hue}, ${sys ? 45 : 80}%, ${dark ? (sys ? 42 : 50) : (sys ? 74 : 64)}%)`;
        if (dark) d.style.color = '#0d1117';
        if (w > 30) d.textContent = name(n);
        const hit = matches(n);
        if (query) d.classList.add(hit ? 'hit' : 'dim');
        if (hit && !counted) { hits++; hitSum += n.v[metric]; }
        if (n === sel) d.style.outline = '2px solid var(--fg)';
        d.addEventListener('click', () => { zoom = n.kids.size || n === tree ? n : (n.parent || tree); sel = n; draw(); });
        d.addEventListener('mousemove', (ev) => showTip(ev, [describe(n)]));
        d.addEventListener('mouseleave', hideTip);
        frag.append(d);
        let cx = x;
        const kids = [...n.kids.values()].filter((c) => c.v[metric] > 0).sort((a, b) => b.v[metric] - a.v[metric]);
        for (const c of kids) {
          const cw = w * c.v[metric] / (n.v[metric] || 1);
          visit(c, cx, cw, depth + 1, counted || hit);
          cx += cw;
        }
      }
      /* the zoomed node's ancestors, full width, above it */
      const chain = [];
      for (let a = zoom; a; a = a.parent) chain.unshift(a);
      box.replaceChildren();
      if (!total) {
        box.style.height = '40px';
        box.append(el('div', { class: 'empty', style: 'padding:10px', text: 'nothing to show for "' + METRICS[metric][0] + '"' }));
        info.textContent = '';
        return;
      }
      chain.slice(0, -1).forEach((a, k) => {
        const d = el('div', { class: 'fr', text: name(a) });
        d.style.left = '0px'; d.style.top = (k * RH) + 'px'; d.style.width = (W - 1) + 'px';
        d.style.background = dark ? '#2a3038' : '#e3e8ed'; d.style.color = 'var(--muted)';
        d.addEventListener('click', () => { zoom = a; sel = a; draw(); });
        frag.append(d);
      });
      visit(zoom, 0, W, chain.length - 1, false);
      box.style.height = ((maxDepth + 1) * RH + 2) + 'px';
      box.append(frag);
      info.textContent = (query ? hits + ' frames match "' + query + '": ' + bytes(hitSum) + ' = ' +
        (100 * hitSum / (total || 1)).toFixed(1) + '% of ' + name(zoom) + '. ' : '') + 'selected: ' + describe(sel);
    }
    box.addEventListener('keydown', (ev) => {
      const kids = (n) => [...n.kids.values()].filter((c) => c.v[metric] > 0).sort((a, b) => b.v[metric] - a.v[metric]);
      let next = null;
      if (ev.key === 'ArrowDown') next = kids(sel)[0];
      else if (ev.key === 'ArrowUp') next = sel.parent;
      else if (ev.key === 'ArrowRight' || ev.key === 'ArrowLeft') {
        if (sel.parent) {
          const sib = kids(sel.parent), k = sib.indexOf(sel) + (ev.key === 'ArrowRight' ? 1 : -1);
          next = sib[k];
        }
      } else if (ev.key === 'Enter') { zoom = sel.kids.size ? sel : zoom; draw(); ev.preventDefault(); return; }
      else if (ev.key === 'Escape') { zoom = tree; sel = tree; draw(); ev.preventDefault(); return; }
      else return;
      ev.preventDefault();
      if (next) { sel = next; draw(); }
    });
    requestAnimationFrame(draw);
    sec.redraw = draw;
    return sec;
  }

  /* ------------------------------------------------------------ dominators */

  function dominatorSection(p) {
    const sec = el('section', { id: 'dominators', 'aria-labelledby': 'h-dom' },
      el('h2', { id: 'h-dom', text: 'Dominator tree' }));
    const d = p.dominators, t = p.domtree;
    if (!d || !t) { sec.append(el('p', { class: 'empty', text: 'no heap snapshot in this log (HEAPTRACE_SNAPSHOTS=0, or the process did not end)' })); return sec; }
    sec.append(el('p', { class: 'muted', text: 'snapshot #' + d.seq + ' at ' + secs(d.t) + ': ' + bytes(d.reachable) + ' reachable in ' +
      count(d.blocks) + ' blocks, merged by allocation site. A row retains what freeing its blocks would release; the rows under it are kept alive only through it.' }));
    const N = t.nodes, kids = N.map(() => []), tops = [];
    N.forEach((n, k) => (n.parent >= 0 ? kids[n.parent] : tops).push(k));
    const reach = d.reachable || 1;
    function topOf(k) { while (N[k].parent >= 0) k = N[k].parent; return k; }
    function chainTo(k) { const c = []; for (; k >= 0; k = N[k].parent) c.unshift(k); return c; }
    function more(bytesLeft, nodes) {
      return el('li', { class: 'muted', style: 'padding-left:34px', text: '… ' + count(nodes) + ' more retaining ' + bytes(bytesLeft) });
    }
    function node(k) {
      const n = N[k], uf = userFrame(n.stack);
      const li = el('li', { role: 'treeitem', 'aria-expanded': 'false' });
      const has = kids[k].length > 0 || n.others_nodes > 0;
      const detail = el('div', { class: 'tree-detail', hidden: true });
      const sub = has ? el('ul', { class: 'tree', role: 'group', hidden: true }) : null;
      const tog = el('button', { class: 'tog', 'aria-expanded': 'false', 'aria-label': 'expand ' + frameWords(uf), text: '+' });
      const held = n.path ? ', held by ' + rootWords(n.path.root) : '';
      li.append(el('div', { class: 'tree-row' }, tog,
        el('span', { class: 'rb' }, el('span', { style: `width:${(100 * n.retained / reach).toFixed(1)}%` })),
        el('span', { class: 'sz', text: bytes(n.retained) }),
        el('span', { class: 'nm', title: frameWords(uf) + held }, el('b', { class: 'mono', text: frameWords(uf) }),
          el('span', { class: 'muted', text: '  ' + count(n.blocks) + ' block' + (n.blocks === 1 ? '' : 's') + ' of ' + bytes(n.bytes) +
            ' (' + (100 * n.retained / reach).toFixed(1) + '%)' + held }))), detail);
      if (sub) li.append(sub);
      let filled = false;
      tog.addEventListener('click', () => {
        const open = tog.getAttribute('aria-expanded') !== 'true';
        tog.setAttribute('aria-expanded', String(open)); li.setAttribute('aria-expanded', String(open));
        tog.textContent = open ? '−' : '+';
        if (open && !filled) {
          const top = N[topOf(k)];
          detail.append(el('b', { text: 'path from a root' }), pathList(top.path));
          const chain = chainTo(k);
          if (chain.length > 1)
            detail.append(el('div', { class: 'mono' }, 'then, each dominating the next: ',
              chain.slice(1).map((c) => frameWords(userFrame(N[c].stack))).join(' → ')));
          detail.append(el('b', { text: 'allocated at' }), stackList(n.stack, 8));
          if (sub) {
            for (const c of kids[k]) sub.append(node(c));
            if (n.others_nodes) sub.append(more(n.others_bytes, n.others_nodes));
          }
          filled = true;
        }
        detail.hidden = !open;
        if (sub) sub.hidden = !open;
      });
      return li;
    }
    const ul = el('ul', { class: 'tree', role: 'tree', 'aria-label': 'dominator tree' });
    for (const k of tops) ul.append(node(k));
    if (t.others_nodes) ul.append(more(t.others_bytes, t.others_nodes));
    sec.append(ul);
    return sec;
  }

  /* ------------------------------------------------------------ growth, leaks, owners */

  function growthSection(p) {
    const g = p.growth;
    const sec = el('section', { id: 'growth', 'aria-labelledby': 'h-growth' }, el('h2', { id: 'h-growth', text: 'Growth findings' }));
    if (!g || !g.findings.length) { sec.append(el('p', { class: 'empty', text: 'no allocation site, function, owner or retainer keeps growing' })); return sec; }
    const tb = el('table', { class: 'list' }, el('thead', {}, el('tr', {}, el('th', { text: 'by' }), el('th', { text: 'where' }),
      el('th', { class: 'num', text: g.per_mark ? 'per mark' : 'per second' }), el('th', { class: 'num', text: 'now' }), el('th', { text: 'held by' }))));
    const body = el('tbody');
    for (const f of g.findings) {
      const slope = g.per_mark ? f.slope_per_mark : f.slope_per_s;
      body.append(el('tr', {}, el('td', { text: f.by + (f.owner_kind ? ' ' + f.owner_kind : '') }),
        el('td', { class: 'mono', text: frameWords(userFrame(f.stack)) }),
        el('td', { class: 'num', text: '+' + bytes(slope) }), el('td', { class: 'num', text: bytes(f.last) }),
        el('td', { text: f.reachable === 0 ? 'nothing: leaked' : f.path ? rootWords(f.path.root) : '' })));
    }
    tb.append(body);
    sec.append(tb);
    return sec;
  }

  function leaksSection(p) {
    const sec = el('section', { id: 'leaks', 'aria-labelledby': 'h-leaks' }, el('h2', { id: 'h-leaks', text: 'Leaks at the last snapshot' }));
    if (!p.leaks) { sec.append(el('p', { class: 'empty', text: 'no heap snapshot: ' + bytes(p.summary.live_at_exit_bytes) + ' were live at the end' })); return sec; }
    const tb = el('table', { class: 'list' }, el('thead', {}, el('tr', {}, el('th', { text: 'class (as valgrind memcheck)' }),
      el('th', { class: 'num', text: 'bytes' }), el('th', { class: 'num', text: 'blocks' }), el('th', { text: 'largest site' }))));
    const body = el('tbody');
    for (const c of p.leaks)
      body.append(el('tr', {}, el('td', { text: c.class }), el('td', { class: 'num', text: bytes(c.bytes) }),
        el('td', { class: 'num', text: count(c.blocks) }), el('td', { class: 'mono', text: c.sites.length ? frameWords(userFrame(c.sites[0].stack)) : '' })));
    tb.append(body);
    sec.append(tb);
    const owners = (p.owners || []).filter((o, k) => o.live || k < 5);
    if (owners.length) {
      sec.append(el('h3', { text: 'owners: handles and the memory behind them' }));
      const ot = el('table', { class: 'list' }, el('thead', {}, el('tr', {}, el('th', { text: 'kind' }), el('th', { class: 'num', text: 'live' }),
        el('th', { class: 'num', text: 'bytes behind' }), el('th', { class: 'num', text: 'opened / closed' }), el('th', { text: 'opened in' }))));
      const ob = el('tbody');
      for (const o of owners)
        ob.append(el('tr', {}, el('td', { text: o.kind }), el('td', { class: 'num', text: count(o.live) }), el('td', { class: 'num', text: bytes(o.bytes) }),
          el('td', { class: 'num', text: count(o.opened) + ' / ' + count(o.closed) + (o.closed_by_gc ? ' (' + count(o.closed_by_gc) + ' by GC finalizers)' : '') }),
          el('td', { class: 'mono', text: frameWords(userFrame(o.stack)) })));
      ot.append(ob);
      sec.append(ot);
    }
    return sec;
  }

  /* ------------------------------------------------------------ processes */

  function processSection(p) {
    const sec = el('section', { id: 'processes', 'aria-labelledby': 'h-procs' }, el('h2', { id: 'h-procs', text: 'Processes' }));
    const byPid = new Map(D.procs.map((q, k) => [q.pid, k]));
    const depth = D.procs.map(() => 0);
    D.procs.forEach((q, k) => { const pk = byPid.get(q.ppid); if (pk !== undefined && pk < k) depth[k] = depth[pk] + 1; });
    const quiet = [];
    D.procs.forEach((q, k) => {
      const line = (q.argv && q.argv.length ? q.argv.join(' ') : q.exe);
      const s = q.summary;
      if (!q.something && q !== p && D.procs.length > 8) { quiet.push(q); return; }
      const card = el('div', { class: 'proc' + (q === p ? ' current' : ''), style: `margin-left:${Math.min(depth[k], 8) * 22}px` });
      const head = el('h3', {}, el('span', { class: 'ind', text: depth[k] ? '└' : '' }), el('span', { class: 'mono', text: 'pid ' + q.pid }),
        el('span', { class: 'mono', text: line.length > 90 ? line.slice(0, 88) + '…' : line }));
      if (q !== p && q.detailed) head.append(el('button', { text: 'show this process', onclick: () => { P = q; render(); window.scrollTo(0, 0); } }));
      card.append(head, el('div', { class: 'summary' }, 'peak ', el('b', { text: bytes(s.peak_bytes) }),
        s.leaked_means === 'lost' ? ' lost at exit ' : ' live at exit ', el('b', { text: bytes(s.leaked_means === 'lost' ? s.leaked_bytes : s.live_at_exit_bytes) }),
        ' allocations ', el('b', { text: count(s.allocations) }), ' ', el('span', { class: 'muted', text: base(q.log) })));
      if (q.detailed && userSuspects(q).length) {
        const ol = el('ol', {});
        userSuspects(q).slice(0, 3).forEach((x) => ol.append(el('li', { text: x.headline })));
        card.append(ol);
      } else if (!q.something) card.append(el('div', { class: 'muted', text: 'nothing to report' }));
      sec.append(card);
    });
    if (quiet.length) sec.append(el('p', { class: 'muted', text: quiet.length + ' more processes with nothing to report: ' +
      quiet.slice(0, 20).map((q) => q.pid + ' ' + base(q.exe)).join(', ') + (quiet.length > 20 ? ', …' : '') }));
    return sec;
  }

  /* ------------------------------------------------------------ page */

  function render() {
    const app = document.getElementById('app');
    const header = document.getElementById('top');
    verdict(P);
    let bar = document.getElementById('toolbar');
    if (!bar) {
      bar = el('div', { class: 'toolbar', id: 'toolbar' });
      header.append(bar);
    }
    bar.replaceChildren();
    if (D.procs.length > 1) {
      const sel = el('select', { 'aria-label': 'process' });
      D.procs.forEach((q, k) => { if (q.detailed) sel.append(el('option', { value: k, selected: q === P, text: 'pid ' + q.pid + ' ' + base(q.exe) })); });
      sel.addEventListener('change', () => { P = D.procs[+sel.value]; render(); });
      bar.append(sel);
    }
    bar.append(el('button', { id: 'theme', 'aria-label': 'switch between light and dark theme', text: currentDark() ? 'light theme' : 'dark theme', onclick: toggleTheme }));
    app.replaceChildren();
    app.append(summaryLine(P));
    if (!P.detailed) { app.append(processSection(P)); document.body.setAttribute('data-ready', '1'); return; }
    app.append(el('nav', { class: 'sections', 'aria-label': 'sections' }, [['suspects', 'Suspects'], ['memory', 'Memory over time'], ['flame', 'Flame graph'],
      ['dominators', 'Dominator tree'], ['growth', 'Growth'], ['leaks', 'Leaks'], ['processes', 'Processes']].map(([id, t]) => el('a', { href: '#' + id, text: t }))));
    app.append(suspectsSection(P));
    /* the rest after the first paint: the verdict and suspects come first */
    const shown = P;
    document.body.removeAttribute('data-ready');
    setTimeout(() => {
      if (P !== shown) return;
      app.append(memorySection(P), flameSection(P), dominatorSection(P), growthSection(P), leaksSection(P), processSection(P));
      requestAnimationFrame(() => requestAnimationFrame(() => document.body.setAttribute('data-ready', '1')));
    }, 0);
  }

  document.body.append(tip);
  render();
  requestAnimationFrame(() => performance.mark('heaptrace-first-screen'));
  let resizeTimer = 0;
  let renderedWidth = window.innerWidth;
  window.addEventListener('resize', () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => { if (window.innerWidth !== renderedWidth) { renderedWidth = window.innerWidth; render(); } }, 150);
  });
  document.addEventListener('keydown', (ev) => {
    if (ev.target.closest && ev.target.closest('input, select, textarea')) return;
    if (ev.key === '/') { const s = document.getElementById('flame-search'); if (s) { s.focus(); ev.preventDefault(); } }
  });
  if (window.matchMedia) window.matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => { if (!root.getAttribute('data-theme')) render(); });
})();
