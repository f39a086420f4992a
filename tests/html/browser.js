#!/usr/bin/env node
// SPDX-License-Identifier: MIT
//
// tests/html/browser.js - opens a heaptrace HTML report in headless Chromium
// and checks it as a person would: it loads from file:// with no console
// error, no exception and no failed or outside request; the top suspect's
// headline and its user source line are on the page; clicking the suspect
// opens its evidence; a search in the flame graph finds frames. Writes a
// 1280x800 screenshot and prints the time to first paint.
//
// Talks to Chromium over --remote-debugging-pipe (the DevTools protocol as
// NUL-separated JSON on file descriptors 3 and 4): no npm package, no
// browser download.
//
//   node browser.js --chromium /usr/bin/chromium --page report.html \
//       --screenshot out.png [--expect TEXT]... [--search WORD] [--full out-full.png]
//       [--evidence TEXT]... [--process-click] [--allow-no-line] [--paint-only] [--dark]
//
// Exit status: 0 all checks passed, 1 a check failed, 2 usage or browser error.
'use strict';

const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

function usage(msg) {
  console.error('browser.js: error: ' + msg);
  process.exit(2);
}

const args = { expect: [], evidence: [], search: null, full: null };
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i], v = process.argv[i + 1];
  switch (a) {
    case '--chromium': args.chromium = v; i++; break;
    case '--page': args.page = v; i++; break;
    case '--screenshot': args.screenshot = v; i++; break;
    case '--full': args.full = v; i++; break;
    case '--expect': args.expect.push(v); i++; break;
    case '--evidence': args.evidence.push(v); i++; break;
    case '--search': args.search = v; i++; break;
    case '--dark': args.dark = true; break;
    case '--allow-no-line': args.noLine = true; break;
    case '--process-click': args.processClick = true; break;
    case '--paint-only': args.paintOnly = true; break;
    default: usage('unknown argument ' + a);
  }
}
if (!args.chromium || !args.page || !args.screenshot) usage('--chromium, --page and --screenshot are required');

const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'heaptrace-chromium-'));
const chrome = spawn(args.chromium, [
  '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-extensions', '--disable-dev-shm-usage',
  '--hide-scrollbars', '--mute-audio', '--user-data-dir=' + profile, '--remote-debugging-pipe',
  '--window-size=1280,800', 'about:blank',
], { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] });
let chromeErr = '';
chrome.stderr.on('data', (d) => { chromeErr += d; });

const toChrome = chrome.stdio[3], fromChrome = chrome.stdio[4];
let nextId = 1, inbuf = Buffer.alloc(0);
const waiting = new Map(), listeners = [];

function cleanup() {
  try { chrome.kill('SIGKILL'); } catch (e) { /* gone already */ }
  try { fs.rmSync(profile, { recursive: true, force: true }); } catch (e) { /* best effort */ }
}
function die(code, msg) {
  if (msg) console.error(msg);
  cleanup();
  process.exit(code);
}
const timer = setTimeout(() => die(2, 'browser.js: error: timed out after 180 s\n' + chromeErr.slice(-2000)), 180000);
chrome.on('exit', (code, sig) => {
  if (!finished) die(2, `browser.js: error: chromium exited (${code}, ${sig})\n` + chromeErr.slice(-2000));
});
chrome.on('error', (e) => die(2, 'browser.js: error: cannot start ' + args.chromium + ': ' + e.message));

fromChrome.on('data', (chunk) => {
  inbuf = Buffer.concat([inbuf, chunk]);
  let end;
  while ((end = inbuf.indexOf(0)) >= 0) {
    const msg = JSON.parse(inbuf.subarray(0, end).toString('utf8'));
    inbuf = inbuf.subarray(end + 1);
    if (msg.id && waiting.has(msg.id)) {
      const w = waiting.get(msg.id);
      waiting.delete(msg.id);
      if (msg.error) w.reject(new Error(w.method + ': ' + msg.error.message));
      else w.resolve(msg.result);
    } else if (msg.method) {
      for (const l of listeners) l(msg);
    }
  }
});

function send(method, params, sessionId) {
  const id = nextId++;
  const msg = { id, method, params: params || {} };
  if (sessionId) msg.sessionId = sessionId;
  toChrome.write(JSON.stringify(msg) + '\0');
  return new Promise((resolve, reject) => waiting.set(id, { resolve, reject, method }));
}
function once(method, sessionId) {
  return new Promise((resolve) => {
    const l = (m) => {
      if (m.method === method && (!sessionId || m.sessionId === sessionId)) {
        listeners.splice(listeners.indexOf(l), 1);
        resolve(m.params);
      }
    };
    listeners.push(l);
  });
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let finished = false;
const failures = [];
function check(ok, what) {
  console.log((ok ? 'ok: ' : 'FAIL: ') + what);
  if (!ok) failures.push(what);
}

async function main() {
  const pageUrl = 'file://' + path.resolve(args.page);
  const { targetId } = await send('Target.createTarget', { url: 'about:blank' });
  const { sessionId: s } = await send('Target.attachToTarget', { targetId, flatten: true });
  const problems = [];
  listeners.push((m) => {
    if (m.sessionId !== s) return;
    const p = m.params;
    if (m.method === 'Runtime.exceptionThrown')
      problems.push('exception: ' + (p.exceptionDetails.exception ? p.exceptionDetails.exception.description : p.exceptionDetails.text));
    if (m.method === 'Runtime.consoleAPICalled' && (p.type === 'error' || p.type === 'assert'))
      problems.push('console.' + p.type + ': ' + p.args.map((a) => a.value || a.description).join(' '));
    if (m.method === 'Log.entryAdded' && p.entry.level === 'error')
      problems.push('log: ' + p.entry.text + (p.entry.url ? ' (' + p.entry.url + ')' : ''));
    if (m.method === 'Network.loadingFailed') problems.push('failed request: ' + p.errorText);
    if (m.method === 'Network.requestWillBeSent' && !/^(file:|data:|about:)/.test(p.request.url))
      problems.push('outside request: ' + p.request.url);
  });
  await Promise.all(['Runtime.enable', 'Log.enable', 'Network.enable', 'Page.enable'].map((m) => send(m, {}, s)));
  await send('Emulation.setDeviceMetricsOverride', { width: 1280, height: 800, deviceScaleFactor: 1, mobile: false }, s);
  if (args.dark)
    await send('Emulation.setEmulatedMedia', { features: [{ name: 'prefers-color-scheme', value: 'dark' }] }, s);
  const loaded = once('Page.loadEventFired', s);
  await send('Page.navigate', { url: pageUrl }, s);
  await loaded;
  const evaluate = async (expr) => {
    const r = await send('Runtime.evaluate', { expression: expr, returnByValue: true, awaitPromise: true }, s);
    if (r.exceptionDetails) throw new Error('evaluate: ' + r.exceptionDetails.text + ' in ' + expr.slice(0, 80));
    return r.result.value;
  };
  // the sections below the first screen are drawn after the first paint (and
  // drawn again when the window's width changes): wait until they are there
  const ready = async () => {
    const ok = await evaluate(`new Promise((r) => { const t0 = Date.now(); const t = setInterval(() => {
      const done = document.body.getAttribute('data-ready');
      if (done || Date.now() - t0 > 30000) { clearInterval(t); r(!!done); } }, 20); })`);
    if (!ok) throw new Error('the page did not finish drawing in 30 s: ' + (problems.join('; ') || 'no error reported'));
  };
  await ready();
  await sleep(300);
  const paint = await evaluate(`(() => { const e = performance.getEntriesByName('first-contentful-paint')[0] || performance.getEntriesByType('paint').slice(-1)[0];
    const n = performance.getEntriesByType('navigation')[0];
    const r = performance.getEntriesByName('heaptrace-first-screen')[0];
    return { fcp: e ? e.startTime : null, load: n ? n.loadEventEnd : null, rendered: r ? r.startTime : null }; })()`);
  const ms = (v) => (v === null ? "?" : v.toFixed(0) + " ms");
  console.log(`first contentful paint: ${ms(paint.fcp)}, first screen drawn: ${ms(paint.rendered)}, load event: ${ms(paint.load)} (${path.basename(args.page)}, ${fs.statSync(args.page).size} bytes)`);

  const shot = async (file, full) => {
    let clip;
    if (full) {
      const h = await evaluate('document.documentElement.scrollHeight');
      clip = { x: 0, y: 0, width: 1280, height: Math.min(h, 12000), scale: 1 };
    }
    const r = await send('Page.captureScreenshot', { format: 'png', captureBeyondViewport: !!full, clip }, s);
    fs.writeFileSync(file, Buffer.from(r.data, 'base64'));
    console.log('screenshot: ' + file);
  };
  await sleep(200);
  await ready();
  await shot(args.screenshot, false);

  if (args.paintOnly) {
    // the time to first paint of a big page: loads cleanly, nothing more asked
    if (args.full) await shot(args.full, true);
    await sleep(100);
    check(problems.length === 0, 'no console error, exception or failed request' + (problems.length ? ': ' + problems.join('; ') : ''));
    finished = true;
    await Promise.race([send('Browser.close').catch(() => {}), new Promise((r) => chrome.once('exit', r)), sleep(3000)]);
    return;
  }
  const top = await evaluate(`(() => { const d = JSON.parse(document.getElementById('ht-data').textContent);
    const p = d.procs[d.selected]; const s = p.suspects && p.suspects.filter((x) => !x.system)[0];
    const first = document.querySelector('#suspects li.suspect');
    return { headline: s ? s.headline : null, where: s && s.where !== null ? d.frames[s.where] : null,
      shown: first ? first.querySelector('.headline').textContent : null, page: document.body.innerText }; })()`);
  check(top.headline !== null, 'the report has a top suspect');
  check(top.shown === top.headline, 'the first suspect on the page is the top suspect: ' + top.shown);
  check(top.page.includes(top.headline || '\u0000'), 'the page shows the top suspect\'s headline');
  const verdict = await evaluate(`document.getElementById('verdict').textContent`);
  check(verdict.includes(top.headline || '\u0000'), 'the verdict names the top suspect');
  if (top.where && top.where[1]) {
    const loc = path.basename(top.where[1]) + ':' + top.where[2];
    check(top.page.includes(loc), 'the page shows the suspect\'s user source line ' + loc);
  } else if (top.where && args.noLine) {
    // an interpreter's frames (libguile without debug information): the function, in its module
    check(top.page.includes(top.where[0]), 'the page shows the suspect\'s frame ' + top.where[0] + ' in ' +
      top.where[3] + ' (no line information there)');
  } else check(false, 'the top suspect names a user frame with a source line');
  for (const e of args.expect) check(top.page.includes(e), 'the page shows "' + e + '"');

  const ev = await evaluate(`(async () => { const b = document.querySelector('#suspects li.suspect .suspect-head');
    const before = document.getElementById(b.getAttribute('aria-controls')).hidden;
    b.click(); await new Promise((r) => requestAnimationFrame(r));
    const box = document.getElementById(b.getAttribute('aria-controls'));
    return { before, hidden: box.hidden, expanded: b.getAttribute('aria-expanded'), text: box.innerText,
      charts: box.querySelectorAll('svg').length, height: box.getBoundingClientRect().height }; })()`);
  check(ev.before === true && ev.hidden === false && ev.expanded === 'true' && ev.height > 40,
    'clicking the top suspect opens its evidence (' + Math.round(ev.height) + ' px)');
  check(/in your code/.test(ev.text) && /allocated at/.test(ev.text), 'the evidence names the user frame and the stack');
  for (const e of args.evidence) check(ev.text.includes(e), 'the evidence shows "' + e + '"');

  if (args.search) {
    await ready();
    const fl = await evaluate(`(async () => { const inp = document.getElementById('flame-search');
      const before = document.querySelectorAll('#flame .fr.hit').length;
      inp.value = ${JSON.stringify(args.search)}; inp.dispatchEvent(new Event('input'));
      await new Promise((r) => requestAnimationFrame(r));
      return { before, hits: document.querySelectorAll('#flame .fr.hit').length,
        dim: document.querySelectorAll('#flame .fr.dim').length, info: document.getElementById('flame-info').textContent }; })()`);
    check(fl.before === 0 && fl.hits > 0 && fl.dim > 0 && /match/.test(fl.info),
      `the flame graph answers a search for "${args.search}": ${fl.hits} frames lit (${fl.info.split('. ')[0]})`);
  }
  if (args.processClick) {
    // another process of the tree, from its card in the process section
    const pr = await evaluate(`(async () => {
      const b = [...document.querySelectorAll('#processes .proc button')].find((x) => x.closest('.proc').querySelector('ol li'));
      if (!b) return null;
      const want = b.closest('.proc').querySelector('ol li').textContent, pid = b.closest('.proc').querySelector('.mono').textContent;
      b.click();
      await new Promise((r) => { const t = setInterval(() => { if (document.body.getAttribute('data-ready')) { clearInterval(t); r(); } }, 20); });
      return { want, pid, verdict: document.getElementById('verdict').textContent,
        first: (document.querySelector('#suspects li.suspect .headline') || {}).textContent,
        current: (document.querySelector('#processes .proc.current .mono') || {}).textContent }; })()`);
    check(pr !== null, 'a child process with suspects has a "show this process" button');
    if (pr) check(pr.first === pr.want && pr.verdict.includes(pr.want) && pr.current === pr.pid,
      'showing ' + pr.pid + ' puts its top suspect first: ' + pr.want);
    if (args.full) await shot(args.full, true);
  }
  // the keyboard alone: Enter on the focused suspect toggles its evidence,
  // arrow keys in the focused flame graph move the selection
  const key = async (k, code, vk) => {
    for (const type of ['keyDown', 'keyUp'])
      await send('Input.dispatchKeyEvent', { type, key: k, code, windowsVirtualKeyCode: vk, text: type === 'keyDown' && k === 'Enter' ? '\r' : undefined }, s);
  };
  const initially = await evaluate(`(() => { const b = document.querySelector('#suspects li.suspect .suspect-head');
    b.focus(); return b.getAttribute('aria-expanded'); })()`);
  await key('Enter', 'Enter', 13);
  const closed = await evaluate(`document.querySelector('#suspects li.suspect .suspect-head').getAttribute('aria-expanded')`);
  await key('Enter', 'Enter', 13);
  const reopened = await evaluate(`document.querySelector('#suspects li.suspect .suspect-head').getAttribute('aria-expanded')`);
  const before = await evaluate(`(() => { const f = document.querySelector('#flame .flame'); f.focus(); return document.getElementById('flame-info').textContent; })()`);
  await key('ArrowDown', 'ArrowDown', 40);
  const after = await evaluate(`document.getElementById('flame-info').textContent`);
  check(closed !== initially && reopened === initially && after !== before && /selected: /.test(after),
    'the keyboard opens and closes a suspect and moves in the flame graph (' + after.replace(/.*selected: /, '') + ')');
  const dom = await evaluate(`(async () => { const b = document.querySelector('#dominators .tree-row .tog');
    if (!b) return null;
    b.click(); const li = b.closest('li'); const b2 = li.querySelector(':scope > ul .tree-row .tog'); if (b2) b2.click();
    await new Promise((r) => requestAnimationFrame(r));
    return { detail: li.querySelector('.tree-detail').innerText, children: li.querySelectorAll(':scope > ul .tree-row').length }; })()`);
  if (dom) check(/path from a root/.test(dom.detail) && /allocated at/.test(dom.detail),
    'the dominator tree opens a row: its path from a root, its stack' + (dom.children ? ', ' + dom.children + ' rows under it' : ''));
  if (args.processClick === undefined && args.full) await shot(args.full, true);
  const themes = await evaluate(`(() => { const b = document.getElementById('theme'); const a = getComputedStyle(document.body).color;
    b.click(); const c = getComputedStyle(document.body).color; b.click(); return [a, c]; })()`);
  check(themes[0] !== themes[1], 'the theme button switches between light and dark');

  await sleep(100);
  check(problems.length === 0, 'no console error, exception or failed request' + (problems.length ? ': ' + problems.join('; ') : ''));
  finished = true;
  // chromium may exit before it answers
  await Promise.race([send('Browser.close').catch(() => {}), new Promise((r) => chrome.once('exit', r)), sleep(3000)]);
}

main().then(() => {
  clearTimeout(timer);
  cleanup();
  if (failures.length) {
    console.log(failures.length + ' check(s) failed');
    process.exit(1);
  }
  process.exit(0);
}, (e) => die(2, 'browser.js: error: ' + e.message + '\n' + chromeErr.slice(-2000)));
