import { createHash } from 'node:crypto';

/**
 * The pages' only stylesheet and script, shipped in the bundle (no build step, no file to
 * copy) and served under a content-hashed name, so they can be cached for a year and a
 * new release is fetched at once. The Content-Security-Policy allows scripts from here only.
 */
const CSS = `
:root{--fg:#1b1f24;--muted:#57606a;--bg:#fff;--line:#d0d7de;--accent:#0a58ca;--accent-fg:#fff;--warn:#9a3412;--code:#f6f8fa;--ok:#116329}
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
a{color:var(--accent)}
a:focus-visible,button:focus-visible,input:focus-visible,select:focus-visible,summary:focus-visible{outline:3px solid #f59e0b;outline-offset:2px}
.skip{position:absolute;left:-999px}.skip:focus{left:8px;top:8px;background:#fff;padding:8px;z-index:9}
header.top{display:flex;flex-wrap:wrap;gap:8px 16px;align-items:center;padding:10px 16px;border-bottom:1px solid var(--line);background:#f6f8fa}
header.top .brand{font-weight:700;font-size:1.15rem;text-decoration:none;color:var(--fg)}
header.top nav ul{display:flex;flex-wrap:wrap;gap:4px 14px;list-style:none;margin:0;padding:0}
header.top .who{margin-left:auto;display:flex;gap:10px;align-items:center}
main{max-width:1100px;margin:0 auto;padding:16px}
h1{font-size:1.6rem;margin:8px 0 16px;word-break:break-word}h2{font-size:1.25rem;margin:24px 0 8px}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:6px 8px;border-bottom:1px solid var(--line);vertical-align:top}
th{font-weight:600}.num{text-align:right;white-space:nowrap}
.table-wrap{overflow-x:auto}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.9em}
pre{background:var(--code);padding:10px;border-radius:6px;overflow-x:auto;white-space:pre-wrap;word-break:break-word}
.digest{word-break:break-all;font-size:.8em;color:var(--muted)}
.muted{color:var(--muted)}
.badge{display:inline-block;padding:0 6px;border-radius:10px;border:1px solid var(--line);font-size:.8em;color:var(--warn)}
.badge.type{color:var(--fg)}
form.inline{display:inline}
label{display:block;font-weight:600;margin:10px 0 4px}
input[type=text],input[type=password],input[type=search],input[type=date],input[type=email],select{font:inherit;padding:6px 8px;border:1px solid #8c959f;border-radius:6px;max-width:100%}
fieldset{border:1px solid var(--line);border-radius:6px;margin:10px 0}
fieldset label{display:inline;font-weight:400;margin:0 10px 0 4px}
.scopes{display:grid;grid-template-columns:repeat(auto-fill,minmax(190px,1fr));gap:4px}
button,.button{font:inherit;padding:6px 14px;border-radius:6px;border:1px solid var(--accent);background:var(--accent);color:var(--accent-fg);cursor:pointer;text-decoration:none;display:inline-block}
button.secondary{background:#fff;color:var(--accent)}
button.danger{background:#b42318;border-color:#b42318}
.filters{display:flex;flex-wrap:wrap;gap:8px;align-items:flex-end;margin-bottom:12px}
.filters label{margin:0}
.layout{display:grid;grid-template-columns:minmax(0,1fr) 300px;gap:24px}
@media (max-width:800px){.layout{grid-template-columns:minmax(0,1fr)}header.top .who{margin-left:0}}
.notice{padding:10px 12px;border:1px solid var(--line);border-left:4px solid var(--accent);border-radius:6px;margin:10px 0;background:#f6f8fa}
.notice.error{border-left-color:#b42318}
.snippet{margin:12px 0}.snippet h3{font-size:1rem;margin:0 0 4px}
.snippet .bar{display:flex;justify-content:space-between;align-items:center;gap:8px}
.versions{max-height:28rem;overflow-y:auto;padding:0;list-style:none;margin:0}
.versions li{padding:3px 0;border-bottom:1px solid var(--line)}
.versions li[aria-current=page]{font-weight:700}
.readme img{max-width:100%}
dt{font-weight:600}dd{margin:0 0 8px}
.pager{display:flex;gap:12px;margin:12px 0}
.token{font-size:1.05rem;background:#fff8c5;padding:8px;border-radius:6px;word-break:break-all}
`;

const JS = `
(function () {
  'use strict';
  function copied(button, ok) {
    var label = button.getAttribute('data-label') || button.textContent;
    button.setAttribute('data-label', label);
    button.textContent = ok ? 'Copied' : 'Select and copy';
    setTimeout(function () { button.textContent = label; }, 2000);
  }
  document.addEventListener('click', function (event) {
    var button = event.target.closest && event.target.closest('button[data-copy]');
    if (!button) return;
    var source = document.getElementById(button.getAttribute('data-copy'));
    if (!source) return;
    var text = source.textContent;
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { copied(button, true); }, function () { copied(button, false); });
    } else {
      var range = document.createRange();
      range.selectNodeContents(source);
      var selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      var ok = false;
      try { ok = document.execCommand('copy'); } catch (e) { ok = false; }
      copied(button, ok);
    }
  });
  document.addEventListener('submit', function (event) {
    var message = event.target.getAttribute('data-confirm');
    if (message && !window.confirm(message)) event.preventDefault();
  });
  document.addEventListener('change', function (event) {
    if (event.target.matches && event.target.matches('select[data-autosubmit]')) event.target.form.submit();
  });
})();
`;

export interface Asset {
  name: string;
  contentType: string;
  body: string;
  etag: string;
}

function asset(base: string, ext: string, contentType: string, body: string): Asset {
  const hash = createHash('sha256').update(body).digest('hex').slice(0, 12);
  return { name: `${base}.${hash}.${ext}`, contentType, body, etag: `"${hash}"` };
}

export const STYLESHEET = asset('wharf', 'css', 'text/css; charset=utf-8', CSS);
export const SCRIPT = asset('wharf', 'js', 'text/javascript; charset=utf-8', JS);

export const ASSETS = new Map([STYLESHEET, SCRIPT].map((a) => [a.name, a]));
