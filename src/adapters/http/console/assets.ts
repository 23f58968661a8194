/** The console's only stylesheet and script, served by the connector itself (works offline, no CDN). */
export const CONSOLE_CSS = `
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2733;background:#f4f6f8}
header{display:flex;flex-wrap:wrap;gap:1em;align-items:center;padding:.6em 1em;background:#1d3557;color:#fff}
header a{color:#fff;text-decoration:none;margin-right:.9em}header a[aria-current]{text-decoration:underline}
header .who{margin-left:auto;display:flex;gap:.6em;align-items:center}main{padding:1em 1.5em;max-width:1300px}
h1{font-size:1.4em;margin:.2em 0 .8em}h2{font-size:1.1em;margin:1.4em 0 .5em}
table{border-collapse:collapse;background:#fff;margin-bottom:1em;min-width:20em}th,td{border:1px solid #d5dbe1;padding:.3em .6em;text-align:left;vertical-align:top}
th{background:#e9eef3}td.num{text-align:right}pre{background:#fff;border:1px solid #d5dbe1;padding:.8em;overflow:auto;white-space:pre-wrap}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(18em,1fr));gap:1em}
.notice{padding:.6em .9em;margin:.6em 0;border-radius:4px}.notice.ok{background:#e3f5e1}.notice.error{background:#fde2e1}.notice.info{background:#e6effa}
.state-ok{color:#1a7f37}.state-bad{color:#b42318;font-weight:600}form.inline{display:inline}
form.search,form.stack{display:flex;flex-wrap:wrap;gap:.6em;align-items:end;margin-bottom:1em}label{display:flex;flex-direction:column;font-size:.9em}
input,select,textarea,button{font:inherit;padding:.3em .5em}textarea{width:100%;min-height:18em;font-family:ui-monospace,monospace}
button{cursor:pointer;background:#1d3557;color:#fff;border:0;border-radius:3px;padding:.35em .8em}header button{background:#457b9d}
.plots{display:flex;flex-wrap:wrap;gap:1em;margin:1em 0}svg.plot{max-width:100%;height:auto;border:1px solid #d5dbe1}
progress{width:20em;vertical-align:middle}label.check{justify-content:end}
.diff .add{background:#e3f5e1}.diff .del{background:#fde2e1}.diff span{display:block;white-space:pre}
`;

export const CONSOLE_JS = `
document.addEventListener('submit', function (e) {
  var form = e.target;
  var question = form && form.getAttribute && form.getAttribute('data-confirm');
  if (question && !window.confirm(question)) e.preventDefault();
});

// Numbering plan: send each file as it is, start the import, poll its progress until it ends.
document.addEventListener('submit', function (e) {
  var form = e.target;
  if (!form || !form.hasAttribute || !form.hasAttribute('data-plan-upload')) return;
  e.preventDefault();
  var csrf = form.querySelector('input[name=_csrf]').value;
  var files = form.querySelector('input[type=file]').files;
  var force = form.querySelector('input[name=force]').checked;
  var box = document.getElementById('import-box');
  var bar = document.getElementById('import-progress');
  var status = document.getElementById('import-status');
  var button = form.querySelector('button');
  var base = '/console/numbering/imports';
  var id = null;
  box.hidden = false;
  button.disabled = true;
  function say(text, failed) {
    status.textContent = text;
    status.setAttribute('role', failed ? 'alert' : 'status');
    box.className = failed ? 'notice error' : 'notice info';
  }
  function json(r) {
    return r.json().then(function (b) { if (!r.ok) throw new Error(b.error || r.statusText); return b; });
  }
  function post(url, body, type) {
    var headers = { 'X-CSRF-Token': csrf };
    if (type) headers['Content-Type'] = type;
    return fetch(url, { method: 'POST', headers: headers, body: body, credentials: 'same-origin' }).then(json);
  }
  function poll(job) {
    if (job.total > 0) { bar.max = job.total; bar.value = job.done; bar.setAttribute('data-done', job.done); }
    if (job.state === 'done') { bar.max = 1; bar.value = 1; window.location.href = '/console/numbering?imported=' + job.version; return null; }
    if (job.state === 'failed') throw new Error(job.message);
    say(form.getAttribute('data-msg-importing') + ' ' + (job.total > 0 ? Math.floor(job.done * 100 / job.total) : 0) + ' %');
    return new Promise(function (resolve) { setTimeout(resolve, 300); })
      .then(function () { return fetch(base + '/' + id, { credentials: 'same-origin' }).then(json); }).then(poll);
  }
  say(form.getAttribute('data-msg-uploading'));
  post(base, null, null).then(function (job) {
    id = job.id;
    var chain = Promise.resolve();
    Array.prototype.forEach.call(files, function (f) {
      chain = chain.then(function () {
        say(form.getAttribute('data-msg-uploading') + ' ' + f.name);
        return post(base + '/' + id + '/files?name=' + encodeURIComponent(f.name), f, 'application/octet-stream');
      });
    });
    return chain;
  }).then(function () {
    return post(base + '/' + id + '/start' + (force ? '?force=1' : ''), null, null);
  }).then(poll).catch(function (err) {
    say(form.getAttribute('data-msg-failed') + ' ' + err.message, true);
    button.disabled = false;
  });
});
`;
