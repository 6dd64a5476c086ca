/*
 * handoff web chat widget.
 *
 * Embed with one tag:
 *   <script src="https://support.example.com/webchat/widget.js" async></script>
 * Optional attributes: data-title, data-open="true", data-lang, data-position="left".
 * The HTTP protocol it speaks is described in README.md next to this file.
 */
(function () {
  'use strict';

  const SCRIPT_PATH = '/webchat/widget.js';
  const LOADED = Symbol.for('handoff-chat');
  const script = document.currentScript || findScript();
  if (!script || window[LOADED]) return;
  window[LOADED] = true;

  // The script finds itself when document.currentScript is not available.
  function findScript() {
    const scripts = document.getElementsByTagName('script');
    for (let i = scripts.length - 1; i >= 0; i--) {
      try {
        if (scripts[i].src && new URL(scripts[i].src, location.href).pathname.endsWith(SCRIPT_PATH)) return scripts[i];
      } catch (_) { /* not a URL */ }
    }
    return null;
  }

  // ---- configuration -------------------------------------------------------

  const ORIGIN = new URL(script.src, location.href).origin; // the API lives where the script came from
  const data = script.dataset;
  const TITLE = data.title || 'Chat with us';
  const START_OPEN = data.open === 'true';
  const LEFT = data.position === 'left';
  const LANG = data.lang || navigator.language || 'en';
  const BG = LANG.toLowerCase().startsWith('bg');
  const STORAGE_KEY = 'handoff-chat:' + ORIGIN;
  const HUMAN_PAYLOAD = 'HANDOFF_TALK_TO_HUMAN';
  const MAX_BACKOFF = 30000;

  const T = BG ? {
    open: 'Отвори чата', close: 'Затвори чата', label: 'Съобщение', placeholder: 'Напишете съобщение…',
    send: 'Изпрати', sending: 'изпраща се…', notSent: 'не е изпратено', human: 'Искам да говоря с човек',
    offline: 'Няма връзка със сървъра. Опитваме отново…', unread: 'непрочетени',
  } : {
    open: 'Open chat', close: 'Close chat', label: 'Message', placeholder: 'Type a message…',
    send: 'Send', sending: 'sending…', notSent: 'not sent', human: 'Talk to a human',
    offline: 'Cannot reach the server. Retrying…', unread: 'unread',
  };

  // ---- styles (every selector is under #handoff-chat) -----------------------

  const CSS = `
#handoff-chat{all:initial;position:fixed;z-index:2147483000;bottom:20px;right:20px;display:block;
  font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:#1f2328}
#handoff-chat.hc-left{right:auto;left:20px}
#handoff-chat *,#handoff-chat *::before,#handoff-chat *::after{box-sizing:border-box;margin:0;padding:0;border:0;
  background:none;font:inherit;color:inherit;letter-spacing:normal;text-transform:none;text-align:left;box-shadow:none}
#handoff-chat [hidden]{display:none!important}
#handoff-chat .hc-sr-only{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
#handoff-chat .hc-launcher{position:relative;display:flex;align-items:center;justify-content:center;width:56px;height:56px;
  border-radius:50%;background:#2f6fed;color:#fff;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25)}
#handoff-chat .hc-launcher:hover{background:#2459c9}
#handoff-chat .hc-launcher svg{width:26px;height:26px;fill:currentColor}
#handoff-chat .hc-unread{position:absolute;top:-4px;right:-4px;min-width:20px;height:20px;padding:0 6px;border-radius:10px;
  background:#d1242f;color:#fff;font-size:12px;line-height:20px;text-align:center}
#handoff-chat .hc-panel{position:absolute;bottom:72px;right:0;display:flex;flex-direction:column;width:360px;
  height:min(560px,calc(100vh - 110px));background:#fff;border-radius:12px;overflow:hidden;box-shadow:0 8px 30px rgba(0,0,0,.25)}
#handoff-chat.hc-left .hc-panel{right:auto;left:0}
#handoff-chat .hc-header{display:flex;align-items:center;gap:8px;padding:12px 14px;background:#2f6fed;color:#fff}
#handoff-chat .hc-title{flex:1;font-weight:600;font-size:15px;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
#handoff-chat .hc-close{width:28px;height:28px;border-radius:6px;cursor:pointer;font-size:20px;line-height:28px;text-align:center}
#handoff-chat .hc-close:hover{background:rgba(255,255,255,.2)}
#handoff-chat .hc-messages{flex:1;overflow-y:auto;padding:12px;background:#f6f8fa;display:flex;flex-direction:column;gap:8px}
#handoff-chat .hc-message{display:flex;flex-direction:column;align-items:flex-start;max-width:85%}
#handoff-chat .hc-message[data-sender="customer"]{align-self:flex-end;align-items:flex-end}
#handoff-chat .hc-author{font-size:12px;color:#59636e;margin:0 4px 2px}
#handoff-chat .hc-bubble{padding:8px 12px;border-radius:14px;background:#fff;border:1px solid #d1d9e0;overflow-wrap:anywhere}
#handoff-chat .hc-message[data-sender="customer"] .hc-bubble{background:#2f6fed;border-color:#2f6fed;color:#fff}
#handoff-chat .hc-message[data-pending="true"] .hc-bubble{opacity:.7}
#handoff-chat .hc-message[data-failed="true"] .hc-bubble{background:#fff;color:#d1242f;border-color:#d1242f}
#handoff-chat .hc-text{white-space:pre-wrap}
#handoff-chat .hc-text a{color:inherit;text-decoration:underline;cursor:pointer}
#handoff-chat .hc-image{display:block;max-width:100%;max-height:240px;margin-top:6px;border-radius:8px}
#handoff-chat .hc-attachment{display:block;margin-top:6px;text-decoration:underline;cursor:pointer}
#handoff-chat .hc-buttons{display:flex;flex-direction:column;gap:4px;margin-top:8px}
#handoff-chat .hc-link-button{display:block;padding:6px 10px;border:1px solid #2f6fed;border-radius:8px;color:#2f6fed;
  text-align:center;text-decoration:none;cursor:pointer}
#handoff-chat .hc-status{font-size:11px;color:#59636e;margin:2px 4px 0}
#handoff-chat .hc-quick-replies{display:flex;flex-wrap:wrap;gap:6px;margin-top:8px}
#handoff-chat .hc-quick-reply{padding:6px 12px;border:1px solid #2f6fed;border-radius:16px;background:#fff;color:#2f6fed;cursor:pointer}
#handoff-chat .hc-quick-reply:hover,#handoff-chat .hc-link-button:hover{background:#eef3fe}
#handoff-chat .hc-error{padding:6px 14px;font-size:12px;color:#d1242f;background:#fff0f0;border-top:1px solid #f5c2c7}
#handoff-chat .hc-composer{display:flex;align-items:flex-end;gap:8px;padding:10px 12px;border-top:1px solid #d1d9e0}
#handoff-chat .hc-input{flex:1;min-height:36px;max-height:120px;padding:7px 10px;border:1px solid #d1d9e0;border-radius:8px;
  resize:none;overflow-y:auto;background:#fff;white-space:pre-wrap}
#handoff-chat .hc-input:focus{outline:2px solid #2f6fed;outline-offset:-1px}
#handoff-chat .hc-send{height:36px;padding:0 14px;border-radius:8px;background:#2f6fed;color:#fff;font-weight:600;cursor:pointer}
#handoff-chat .hc-send:hover{background:#2459c9}
#handoff-chat .hc-footer{padding:0 12px 8px;text-align:center}
#handoff-chat .hc-human{font-size:12px;color:#2f6fed;text-decoration:underline;cursor:pointer}
#handoff-chat button:focus-visible,#handoff-chat a:focus-visible{outline:2px solid #0b3fa6;outline-offset:2px}
@media (max-width:480px){
  #handoff-chat .hc-panel,#handoff-chat.hc-left .hc-panel{position:fixed;top:0;right:0;bottom:0;left:0;width:100%;height:100%;border-radius:0}
  #handoff-chat.hc-open .hc-launcher{display:none}
  #handoff-chat .hc-input{font-size:16px}
}`;

  const ICON = '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path d="M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H8l-5 4V5a2 2 0 0 1 1-2z"/></svg>';

  // ---- DOM -----------------------------------------------------------------

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  const root = el('div', LEFT ? 'hc-left' : '');
  root.id = 'handoff-chat';
  const style = el('style');
  style.textContent = CSS;

  const launcher = el('button', 'hc-launcher');
  launcher.type = 'button';
  launcher.setAttribute('aria-label', T.open);
  launcher.setAttribute('aria-expanded', 'false');
  launcher.innerHTML = ICON; // constant markup, no chat text
  const unreadBadge = el('span', 'hc-unread');
  unreadBadge.hidden = true;
  launcher.append(unreadBadge);

  const panel = el('div', 'hc-panel');
  panel.id = 'hc-panel';
  panel.setAttribute('role', 'dialog');
  panel.setAttribute('aria-label', TITLE);
  panel.hidden = true;
  launcher.setAttribute('aria-controls', panel.id);

  const header = el('div', 'hc-header');
  const closeButton = el('button', 'hc-close', '×');
  closeButton.type = 'button';
  closeButton.setAttribute('aria-label', T.close);
  header.append(el('div', 'hc-title', TITLE), closeButton);

  const list = el('div', 'hc-messages');
  list.setAttribute('role', 'log');
  list.setAttribute('aria-live', 'polite');
  list.setAttribute('aria-label', TITLE);

  const errorLine = el('div', 'hc-error');
  errorLine.setAttribute('role', 'alert');
  errorLine.hidden = true;

  const form = el('form', 'hc-composer');
  const label = el('label', 'hc-sr-only', T.label);
  label.htmlFor = 'hc-input';
  const input = el('textarea', 'hc-input');
  input.id = 'hc-input';
  input.rows = 1;
  input.maxLength = 4000;
  input.placeholder = T.placeholder;
  const sendButton = el('button', 'hc-send', T.send);
  sendButton.type = 'submit';
  form.append(label, input, sendButton);

  const footer = el('div', 'hc-footer');
  const humanButton = el('button', 'hc-human', T.human);
  humanButton.type = 'button';
  footer.append(humanButton);

  panel.append(header, list, errorLine, form, footer);
  root.append(style, panel, launcher);

  // ---- state ---------------------------------------------------------------

  let visitor = loadVisitor(); // {visitor_id, token}
  let creatingVisitor = null;  // promise of a POST /visitors in flight
  let isOpen = false;
  let started = false;         // transcript loaded / stream wanted
  let lastSeq = 0;             // highest seq shown; the stream resumes after it
  const seenSeqs = new Map();  // seq -> {key, node} of the message shown there
  const messageOf = new WeakMap(); // message element -> Message JSON
  const pendingById = new Map();   // client id -> record of an unconfirmed customer message
  const queue = [];                // records still to be accepted by the server, in order
  let unread = 0;
  let stuckToBottom = true;
  let errorSource = '';

  // ---- identity ------------------------------------------------------------

  function loadVisitor() {
    try {
      const v = JSON.parse(localStorage.getItem(STORAGE_KEY) || 'null');
      if (v && typeof v.visitor_id === 'string') return { visitor_id: v.visitor_id, token: String(v.token || '') };
    } catch (_) { /* storage blocked or corrupt */ }
    return null;
  }

  function saveVisitor(v) {
    try {
      if (v) localStorage.setItem(STORAGE_KEY, JSON.stringify(v));
      else localStorage.removeItem(STORAGE_KEY);
    } catch (_) { /* storage blocked: identity lives for this page only */ }
  }

  class HttpError extends Error {
    constructor(res) {
      super((res.data && typeof res.data.error === 'string' && res.data.error) || 'HTTP ' + res.status);
      this.status = res.status;
    }
  }

  // POST /webchat/v1/visitors -> 201 {"visitor_id", "token"}; one at a time.
  function ensureVisitor() {
    if (visitor) return Promise.resolve(visitor);
    if (!creatingVisitor) {
      creatingVisitor = request('POST', '/webchat/v1/visitors').then((res) => {
        if (!res.ok || !res.data.visitor_id) throw new HttpError(res);
        visitor = { visitor_id: String(res.data.visitor_id), token: String(res.data.token || '') };
        saveVisitor(visitor);
        return visitor;
      }).finally(() => { creatingVisitor = null; });
    }
    return creatingVisitor;
  }

  // A 401 means the token was refused: forget the identity, drop what belonged
  // to it and continue as a new visitor.
  function renewVisitor(stale) {
    if (visitor === stale) {
      visitor = null;
      saveVisitor(null);
      closeStream();
      for (const node of Array.from(list.children)) {
        if (node.dataset.pending !== 'true') node.remove();
      }
      seenSeqs.clear();
      lastSeq = 0;
      if (started) scheduleConnect(0);
    }
    return ensureVisitor();
  }

  // ---- HTTP ----------------------------------------------------------------

  async function request(method, path, body, token) {
    const headers = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (token) headers.Authorization = 'Bearer ' + token;
    const res = await fetch(ORIGIN + path, {
      method, headers, mode: 'cors', credentials: 'omit', cache: 'no-store',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    let json = null;
    try { json = await res.json(); } catch (_) { /* empty or not JSON */ }
    const retryAfter = Number(res.headers.get('Retry-After'));
    return { ok: res.ok, status: res.status, data: json || {}, retryAfterMs: retryAfter > 0 ? retryAfter * 1000 : 0 };
  }

  function visitorPath(v) {
    return '/webchat/v1/visitors/' + encodeURIComponent(v.visitor_id);
  }

  // A visitor call with "Authorization: Bearer <token>"; on 401 it renews the
  // visitor and tries once more.
  async function visitorCall(method, suffix, body) {
    let v = await ensureVisitor();
    let res = await request(method, visitorPath(v) + suffix, body, v.token);
    if (res.status === 401) {
      v = await renewVisitor(v);
      res = await request(method, visitorPath(v) + suffix, body, v.token);
    }
    return res;
  }

  function nextBackoff(previous) {
    return previous ? Math.min(previous * 2, MAX_BACKOFF) : 1000;
  }

  function showError(text, source) {
    errorLine.textContent = text;
    errorLine.hidden = !text;
    errorSource = text ? source : '';
  }

  function clearError(source) {
    if (errorSource === source) showError('', '');
  }

  // ---- transcript and event stream -------------------------------------------

  let stream = null;
  let connectTimer = 0;
  let connectBackoff = 0;
  let connectRun = 0;

  function startSession() {
    if (started) return;
    started = true;
    connect();
  }

  function scheduleConnect(delay) {
    clearTimeout(connectTimer);
    connectTimer = setTimeout(connect, delay);
  }

  // connect loads the transcript after lastSeq (all of it the first time:
  // GET .../messages?after=0 -> {"messages": [...]}) and then opens the event
  // stream from there. It also runs when the stream gave up, so a refused
  // token (401) is noticed and messages missed meanwhile are caught up.
  async function connect() {
    clearTimeout(connectTimer);
    connectTimer = 0;
    const run = ++connectRun;
    closeStream();
    try {
      const res = await visitorCall('GET', '/messages?after=' + lastSeq);
      if (run !== connectRun) return;
      if (!res.ok) throw new HttpError(res);
      const messages = Array.isArray(res.data.messages) ? res.data.messages : [];
      messages.sort((a, b) => a.seq - b.seq).forEach((m) => receive(m, false));
      if (seenSeqs.size === 0) showWelcome();
      openStream();
      clearError('connect');
    } catch (err) {
      if (run !== connectRun) return;
      showError(err instanceof HttpError ? err.message : T.offline, 'connect');
      connectBackoff = nextBackoff(connectBackoff);
      scheduleConnect(connectBackoff);
    }
  }

  // GET .../events?token=<token>&after=<seq> (EventSource cannot send headers).
  // Every new message is "event: message", "id: <seq>", "data: <Message JSON>".
  function openStream() {
    const v = visitor;
    if (!v) return;
    const es = new EventSource(ORIGIN + visitorPath(v) + '/events?token=' + encodeURIComponent(v.token) + '&after=' + lastSeq);
    stream = es;
    es.addEventListener('open', () => {
      if (stream !== es) return;
      connectBackoff = 0;
      clearError('connect');
    });
    es.addEventListener('message', (event) => {
      if (stream !== es) return;
      let msg;
      try { msg = JSON.parse(event.data); } catch (_) { return; }
      receive(msg, true);
    });
    es.addEventListener('error', () => {
      if (stream !== es) return;
      // While CONNECTING the browser reconnects by itself, sending
      // Last-Event-ID. CLOSED means it gave up: reconnect with backoff.
      if (es.readyState === EventSource.CLOSED) {
        closeStream();
        connectBackoff = nextBackoff(connectBackoff);
        scheduleConnect(connectBackoff);
      }
    });
  }

  function closeStream() {
    if (stream) stream.close();
    stream = null;
  }

  // identity tells two messages apart by what the widget shows of them: a
  // message passed on again (its delivery changed) is the same. The bot's
  // IDs follow the seq ("bot-7"), so the content counts too.
  function identity(msg) {
    return JSON.stringify([msg.sender, msg.id, msg.text, msg.payload, msg.attachments, msg.buttons]);
  }

  // receive shows a message from the transcript or the stream, once per seq.
  // A different message at a seq already shown replaces it: a workflow task
  // that ran again with messages that came meanwhile may have numbered them
  // differently from what the stream passed on first, and the transcript
  // keeps the later numbering.
  function receive(msg, live) {
    if (!msg || typeof msg.seq !== 'number') return;
    const shown = seenSeqs.get(msg.seq);
    if (shown && shown.key === identity(msg)) return;
    if (shown) {
      shown.node.remove();
      live = false; // renumbered, not new
    }
    if (msg.seq > lastSeq) lastSeq = msg.seq;
    const stick = stuckToBottom;
    const rec = msg.sender === 'customer' && msg.id ? pendingById.get(msg.id) : undefined;
    let node;
    if (rec) {
      // The server's copy of a message this page sent: it is confirmed.
      rec.confirmed = true;
      pendingById.delete(msg.id);
      rec.el.remove();
      node = renderMessage(msg);
      rec.el = node;
    } else {
      node = renderMessage(msg);
    }
    seenSeqs.set(msg.seq, { key: identity(msg), node });
    place(node, msg.seq);
    updateQuickReplies();
    if (live && !isOpen && msg.sender !== 'customer') {
      unread++;
      renderUnread();
    }
    if (stick) scrollToBottom();
  }

  // showWelcome greets a visitor whose conversation is empty with the flows'
  // start block (GET /webchat/v1/welcome?locale= -> {"message": Content or
  // null}), shown first and never sent; its buttons start the conversation.
  let welcomed = false;
  async function showWelcome() {
    if (welcomed) return;
    welcomed = true;
    let res;
    try {
      res = await request('GET', '/webchat/v1/welcome?locale=' + encodeURIComponent(LANG));
    } catch (_) {
      welcomed = false;
      return;
    }
    const content = res.ok && res.data.message;
    if (!content || seenSeqs.size > 0) return;
    const stick = stuckToBottom;
    const node = renderMessage(Object.assign({}, content, { sender: 'bot' }));
    node.dataset.welcome = 'true';
    list.insertBefore(node, list.firstChild);
    updateQuickReplies();
    if (stick) scrollToBottom();
  }

  // place inserts a confirmed message in seq order, above pending ones.
  function place(node, seq) {
    let before = null;
    for (const child of list.children) {
      if (child.dataset.pending === 'true' || Number(child.dataset.seq) > seq) {
        before = child;
        break;
      }
    }
    list.insertBefore(node, before);
  }

  // ---- rendering -----------------------------------------------------------

  function safeUrl(raw) {
    try {
      const url = new URL(String(raw), ORIGIN);
      return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : '';
    } catch (_) {
      return '';
    }
  }

  function link(href, className, text) {
    const a = el('a', className, text);
    a.href = href;
    a.target = '_blank';
    a.rel = 'noopener noreferrer';
    return a;
  }

  // linkify appends text to node, turning http(s) URLs into links.
  function linkify(node, text) {
    let at = 0;
    for (const match of text.matchAll(/https?:\/\/[^\s<>"]+/gi)) {
      let url = match[0];
      // Trailing punctuation ("see https://example.com.") stays text; a closing
      // parenthesis stays in the URL only when it has an opening one.
      for (;;) {
        const last = url[url.length - 1];
        if (/[.,;:!?'"»\]}]/.test(last)) url = url.slice(0, -1);
        else if (last === ')' && url.split('(').length < url.split(')').length) url = url.slice(0, -1);
        else break;
      }
      const href = safeUrl(url);
      if (!href || !url.includes('://')) continue;
      node.append(text.slice(at, match.index), link(href, '', url));
      at = match.index + url.length;
    }
    node.append(text.slice(at));
  }

  function renderMessage(msg) {
    const sender = String(msg.sender || 'bot');
    const node = el('div', 'hc-message');
    node.dataset.sender = sender;
    if (typeof msg.seq === 'number') node.dataset.seq = String(msg.seq);
    if (sender === 'staff' && msg.display_name) node.append(el('div', 'hc-author', String(msg.display_name)));
    const bubble = el('div', 'hc-bubble');
    // A customer message made by a button shows its title (text).
    const text = String(msg.text || (sender === 'customer' ? msg.payload || '' : ''));
    if (text) {
      const textNode = el('div', 'hc-text');
      linkify(textNode, text);
      bubble.append(textNode);
    }
    for (const att of Array.isArray(msg.attachments) ? msg.attachments : []) {
      const href = att && safeUrl(att.url);
      if (!href) continue;
      if (att.type === 'image') {
        const img = el('img', 'hc-image');
        img.alt = '';
        img.loading = 'lazy';
        img.src = href;
        img.addEventListener('load', () => { if (stuckToBottom) scrollToBottom(); });
        bubble.append(img);
      } else {
        bubble.append(link(href, 'hc-attachment', href.split('/').pop() || href));
      }
    }
    const links = (Array.isArray(msg.buttons) ? msg.buttons : []).filter((b) => b && b.url && safeUrl(b.url));
    if (links.length) {
      const box = el('div', 'hc-buttons');
      for (const b of links) box.append(link(safeUrl(b.url), 'hc-link-button', String(b.title || b.url)));
      bubble.append(box);
    }
    if (!bubble.childNodes.length) bubble.append(el('div', 'hc-text'));
    node.append(bubble);
    if (msg.sent_at) {
      const when = new Date(msg.sent_at);
      if (!isNaN(when)) {
        try { node.title = when.toLocaleString(LANG); } catch (_) { node.title = when.toLocaleString(); }
      }
    }
    messageOf.set(node, msg);
    return node;
  }

  // Payload buttons are quick-reply chips under the last message only.
  function updateQuickReplies() {
    for (const box of list.querySelectorAll('.hc-quick-replies')) box.remove();
    const last = list.lastElementChild;
    const msg = last && messageOf.get(last);
    if (!msg || msg.sender === 'customer' || !Array.isArray(msg.buttons)) return;
    const chips = msg.buttons.filter((b) => b && !b.url && b.payload);
    if (!chips.length) return;
    const box = el('div', 'hc-quick-replies');
    for (const b of chips) {
      const chip = el('button', 'hc-quick-reply', String(b.title || b.payload));
      chip.type = 'button';
      chip.addEventListener('click', () => {
        box.remove();
        send(String(b.title || b.payload), String(b.payload));
      });
      box.append(chip);
    }
    last.append(box);
  }

  function renderUnread() {
    unreadBadge.textContent = unread > 9 ? '9+' : String(unread);
    unreadBadge.hidden = unread === 0;
    launcher.setAttribute('aria-label', (isOpen ? T.close : T.open) + (unread ? ` (${unread} ${T.unread})` : ''));
  }

  function scrollToBottom() {
    list.scrollTop = list.scrollHeight;
    stuckToBottom = true;
  }

  // ---- sending ---------------------------------------------------------------

  function randomId() {
    const bytes = new Uint8Array(12);
    crypto.getRandomValues(bytes);
    return 'w-' + Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  }

  // send shows the message at once as pending and queues it. The client id
  // makes a retried POST count once on the server.
  function send(text, payload) {
    text = text.trim();
    if (!text && !payload) return;
    const id = randomId();
    const rec = {
      id, el: null, status: null, confirmed: false, backoff: 0,
      body: { id, text, payload: payload || '', locale: LANG },
    };
    rec.el = renderMessage({ id, sender: 'customer', text, payload });
    rec.el.dataset.pending = 'true';
    rec.status = el('div', 'hc-status', T.sending);
    rec.el.append(rec.status);
    pendingById.set(id, rec);
    queue.push(rec);
    list.append(rec.el);
    updateQuickReplies();
    scrollToBottom();
    startSession();
    pump();
  }

  let pumping = false;
  let pumpTimer = 0;

  // pump posts queued messages one at a time, in order:
  // POST .../messages {"id","text","payload","locale"} -> 202.
  // Network errors, 401 (after a renewal), 429 and 5xx are retried with the
  // same id after 1s, 2s, 4s… up to 30s; other 4xx fail that message.
  async function pump() {
    if (pumping || pumpTimer) return;
    pumping = true;
    try {
      while (queue.length) {
        const rec = queue[0];
        if (rec.confirmed) { queue.shift(); continue; }
        let res = null;
        try {
          res = await visitorCall('POST', '/messages', rec.body);
        } catch (err) {
          // A refused visitor creation is judged like a refused send.
          if (err instanceof HttpError) res = { ok: false, status: err.status, data: { error: err.message }, retryAfterMs: 0 };
          // anything else is a network error: res stays null and it is retried
        }
        if (res && res.ok) {
          queue.shift();
          rec.status.hidden = true; // accepted; confirmed when the server's copy arrives
          clearError('send');
          continue;
        }
        if (res && res.status >= 400 && res.status < 500 && res.status !== 401 && res.status !== 429) {
          queue.shift();
          pendingById.delete(rec.id);
          rec.el.removeAttribute('data-pending');
          rec.el.dataset.failed = 'true';
          rec.status.textContent = T.notSent;
          if (stuckToBottom) scrollToBottom();
          showError(new HttpError(res).message, 'send');
          continue;
        }
        rec.backoff = nextBackoff(rec.backoff);
        if (res) showError(new HttpError(res).message, 'send');
        else showError(T.offline, 'send');
        pumpTimer = setTimeout(() => { pumpTimer = 0; pump(); }, Math.max(rec.backoff, res ? res.retryAfterMs : 0));
        return;
      }
    } finally {
      pumping = false;
    }
  }

  function submit() {
    const text = input.value;
    if (!text.trim()) return;
    input.value = '';
    autosize();
    send(text);
  }

  function autosize() {
    input.style.height = 'auto';
    input.style.height = Math.min(input.scrollHeight + 2, 120) + 'px';
  }

  // ---- open / close and events --------------------------------------------------

  function setOpen(open, focus) {
    isOpen = open;
    panel.hidden = !open;
    root.classList.toggle('hc-open', open);
    launcher.setAttribute('aria-expanded', String(open));
    if (open) {
      unread = 0;
      startSession();
      scrollToBottom();
      if (focus) input.focus();
    } else if (focus) {
      launcher.focus();
    }
    renderUnread();
  }

  launcher.addEventListener('click', () => setOpen(!isOpen, true));
  closeButton.addEventListener('click', () => setOpen(false, true));
  panel.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') setOpen(false, true);
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    submit();
  });
  input.addEventListener('keydown', (event) => {
    // Enter sends, Shift+Enter is a newline; not while an IME is composing.
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
      event.preventDefault();
      submit();
    }
  });
  input.addEventListener('input', autosize);
  list.addEventListener('scroll', () => {
    stuckToBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  });
  humanButton.addEventListener('click', () => {
    send(T.human, HUMAN_PAYLOAD);
  });
  // Back online: retry now instead of waiting out the backoff.
  window.addEventListener('online', () => {
    if (pumpTimer) {
      clearTimeout(pumpTimer);
      pumpTimer = 0;
      pump();
    }
    if (connectTimer) connect();
  });

  function mount() {
    document.body.append(root);
    setOpen(START_OPEN, false);
    // A returning visitor gets its transcript and live messages (and the
    // unread count) even before opening the panel.
    if (visitor) startSession();
  }

  if (document.body) mount();
  else document.addEventListener('DOMContentLoaded', mount);
})();
