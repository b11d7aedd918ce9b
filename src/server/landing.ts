// A small, self-contained page to explore the API from a browser (no CDN: the gateway may
// run where the internet is not reachable). The page holds no secret: the API key comes from
// the address's fragment (`/#key=…`, which `npm start` prints and the browser never sends to
// the server) or is pasted, and is kept in the browser's localStorage.
export function landingPage(opts: { graphqlPath: string; example: string }): string {
  const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Meridian</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
 body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1d2430;background:#f6f7f9}
 header{padding:14px 20px;background:#14213d;color:#fff} header b{font-size:18px} header span{opacity:.75;margin-left:10px}
 main{display:grid;grid-template-columns:1fr 1fr;gap:12px;padding:12px 20px;height:calc(100vh - 110px)}
 textarea,pre{width:100%;box-sizing:border-box;font:13px/1.4 ui-monospace,monospace;border:1px solid #ccd;border-radius:6px;padding:10px;background:#fff;margin:0}
 #q{height:70%} #v{height:calc(30% - 48px);margin-top:8px} pre{height:100%;overflow:auto}
 button{margin-top:8px;padding:6px 16px;border:0;border-radius:5px;background:#fca311;font-weight:600;cursor:pointer}
 nav{padding:0 20px 8px;color:#556} nav a{color:#14213d}
 #keybar{padding:8px 20px 0;color:#556} #key{width:28em;font:13px ui-monospace,monospace;padding:3px 6px;border:1px solid #ccd;border-radius:4px}
</style></head><body>
<header><b>Meridian</b><span>one customer graph over every business system</span></header>
<nav>POST or GET <code>${opts.graphqlPath}</code> (GraphQL over HTTP) · WebSocket <code>${opts.graphqlPath}</code> (graphql-transport-ws) · <a href="/healthz">/healthz</a> · <a href="/readyz">/readyz</a></nav>
<div id="keybar"><label>API key <input id="key" type="password" autocomplete="off" placeholder="Bearer key or token (npm start prints the local one)"></label></div>
<main><div><textarea id="q" spellcheck="false">${esc(opts.example)}</textarea>
<textarea id="v" spellcheck="false" placeholder="variables (JSON)">{}</textarea>
<button id="run">Run ▶</button></div><pre id="out">Press Run (or Ctrl-Enter).</pre></main>
<script>
const keyInput = document.getElementById('key');
const fromFragment = new URLSearchParams(location.hash.slice(1)).get('key');
if (fromFragment) { localStorage.setItem('meridian-key', fromFragment); history.replaceState(null, '', location.pathname + location.search); }
keyInput.value = localStorage.getItem('meridian-key') || '';
keyInput.onchange = () => localStorage.setItem('meridian-key', keyInput.value.trim());
const run = async () => {
  const out = document.getElementById('out');
  let variables = {};
  try { variables = JSON.parse(document.getElementById('v').value || '{}'); } catch (e) { out.textContent = 'variables: ' + e.message; return; }
  out.textContent = '…';
  const t0 = performance.now();
  const key = keyInput.value.trim();
  const res = await fetch('${opts.graphqlPath}', { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...(key ? { authorization: 'Bearer ' + key } : {}) },
    body: JSON.stringify({ query: document.getElementById('q').value, variables }) });
  const body = await res.text();
  let shown = body; try { shown = JSON.stringify(JSON.parse(body), null, 2); } catch {}
  const hint = res.status === 401 ? 'Paste an API key above (npm start prints the local admin key and an explorer link with it).\\n\\n' : '';
  out.textContent = hint + 'HTTP ' + res.status + ' in ' + Math.round(performance.now() - t0) + ' ms\\n\\n' + shown;
};
document.getElementById('run').onclick = run;
document.addEventListener('keydown', (e) => { if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) run(); });
</script></body></html>`;
}
