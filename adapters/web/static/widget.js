/*
 * Switchboard chat widget. Dependency-free; embed with
 *
 *   <script src="https://bot.example.com/widget.js" async
 *           data-title="Help" data-greeting="Hi! Ask me anything."></script>
 *
 * It talks to POST /api/v1/messages on the origin it was loaded from (or
 * data-api), streams replies over Server-Sent Events read with fetch and a
 * ReadableStream, and keeps the conversation id and token in sessionStorage.
 * Each message carries a random message_id; when the connection fails, the
 * stream ends without a reply or the server is busy (503), the same message
 * is sent again (up to 4 tries) and the server answers with the reply it
 * produced for the first try, never a second one.
 * Once the conversation is handed to a human agent, it polls
 * GET /api/v1/messages for the agent's replies until the conversation is
 * handed back to the bot.
 * Everything lives in a Shadow DOM so the host page's styles cannot reach it.
 * window.Switchboard.open() / .close() / .toggle() control the panel.
 * Its own words come in the page's language (data-lang, else the page's
 * lang attribute, else the browser's) when it knows it: English, German,
 * French, Spanish, Italian, Portuguese or Dutch, as the bot's replies do.
 */
(function () {
  "use strict";
  if (window.Switchboard && window.Switchboard.version) return; // loaded twice

  var script = document.currentScript;
  var cfg = (script && script.dataset) || {};
  var base = cfg.api || (script && script.src ? new URL(script.src, location.href).origin : location.origin);
  var endpoint = base.replace(/\/$/, "") + "/api/v1/messages";
  // The widget's own words, by language. human is the button's label and
  // ask what it sends: a request for a human the bot understands.
  var words = {
    en: { title: "Support", greeting: "Hi! Ask me a question about our help centre.", placeholder: "Type your question\u2026",
      send: "Send", sendLabel: "Send message", form: "Send a message", message: "Your message", open: "Open chat with ",
      close: "Close chat", closeWith: "Close chat with ", conversation: "Conversation", typing: " is typing", sources: "Sources",
      notSent: "not sent", handoff: "A member of our support team will take it from here.", human: "Talk to a human",
      ask: "Talk to a human", team: "Support team", unread: "new message", back: "You're chatting with the assistant again.",
      unreachable: "We couldn't reach the assistant. Check your connection and try again.", wrong: "Something went wrong." },
    de: { title: "Hilfe", greeting: "Hallo! Stellen Sie mir eine Frage zu unserem Hilfe-Center.", placeholder: "Ihre Frage\u2026",
      send: "Senden", sendLabel: "Nachricht senden", form: "Nachricht senden", message: "Ihre Nachricht", open: "Chat \u00f6ffnen mit ",
      close: "Chat schlie\u00dfen", closeWith: "Chat schlie\u00dfen mit ", conversation: "Unterhaltung", typing: " schreibt", sources: "Quellen",
      notSent: "nicht gesendet", handoff: "Ein Mitarbeiter unseres Support-Teams \u00fcbernimmt ab hier.", human: "Mit einem Menschen sprechen",
      ask: "Ich m\u00f6chte mit einem Mitarbeiter sprechen", team: "Support-Team", unread: "neue Nachricht", back: "Sie chatten wieder mit dem Assistenten.",
      unreachable: "Der Assistent ist nicht erreichbar. Pr\u00fcfen Sie Ihre Verbindung und versuchen Sie es erneut.", wrong: "Etwas ist schiefgelaufen." },
    fr: { title: "Aide", greeting: "Bonjour\u00a0! Posez-moi une question sur notre centre d'aide.", placeholder: "Votre question\u2026",
      send: "Envoyer", sendLabel: "Envoyer le message", form: "Envoyer un message", message: "Votre message", open: "Ouvrir la discussion avec ",
      close: "Fermer la discussion", closeWith: "Fermer la discussion avec ", conversation: "Conversation", typing: " \u00e9crit", sources: "Sources",
      notSent: "non envoy\u00e9", handoff: "Un membre de notre \u00e9quipe support prend le relais.", human: "Parler \u00e0 un humain",
      ask: "Je veux parler \u00e0 un conseiller", team: "\u00c9quipe support", unread: "nouveau message", back: "Vous discutez de nouveau avec l'assistant.",
      unreachable: "Impossible de joindre l'assistant. V\u00e9rifiez votre connexion et r\u00e9essayez.", wrong: "Une erreur s'est produite." },
    es: { title: "Ayuda", greeting: "\u00a1Hola! Hazme una pregunta sobre nuestro centro de ayuda.", placeholder: "Escribe tu pregunta\u2026",
      send: "Enviar", sendLabel: "Enviar mensaje", form: "Enviar un mensaje", message: "Tu mensaje", open: "Abrir chat con ",
      close: "Cerrar chat", closeWith: "Cerrar chat con ", conversation: "Conversaci\u00f3n", typing: " est\u00e1 escribiendo", sources: "Fuentes",
      notSent: "no enviado", handoff: "Una persona de nuestro equipo de soporte seguir\u00e1 desde aqu\u00ed.", human: "Hablar con una persona",
      ask: "Quiero hablar con una persona", team: "Equipo de soporte", unread: "mensaje nuevo", back: "Vuelves a hablar con el asistente.",
      unreachable: "No pudimos contactar con el asistente. Revisa tu conexi\u00f3n e int\u00e9ntalo de nuevo.", wrong: "Algo sali\u00f3 mal." },
    it: { title: "Assistenza", greeting: "Ciao! Fammi una domanda sul nostro centro assistenza.", placeholder: "Scrivi la tua domanda\u2026",
      send: "Invia", sendLabel: "Invia messaggio", form: "Invia un messaggio", message: "Il tuo messaggio", open: "Apri la chat con ",
      close: "Chiudi la chat", closeWith: "Chiudi la chat con ", conversation: "Conversazione", typing: " sta scrivendo", sources: "Fonti",
      notSent: "non inviato", handoff: "Una persona del nostro team di assistenza continuer\u00e0 da qui.", human: "Parla con un operatore",
      ask: "Voglio parlare con un operatore", team: "Team di assistenza", unread: "nuovo messaggio", back: "Stai di nuovo parlando con l'assistente.",
      unreachable: "Non riusciamo a raggiungere l'assistente. Controlla la connessione e riprova.", wrong: "Qualcosa \u00e8 andato storto." },
    pt: { title: "Ajuda", greeting: "Ol\u00e1! Fa\u00e7a uma pergunta sobre a nossa central de ajuda.", placeholder: "Digite sua pergunta\u2026",
      send: "Enviar", sendLabel: "Enviar mensagem", form: "Enviar uma mensagem", message: "Sua mensagem", open: "Abrir conversa com ",
      close: "Fechar conversa", closeWith: "Fechar conversa com ", conversation: "Conversa", typing: " est\u00e1 digitando", sources: "Fontes",
      notSent: "n\u00e3o enviada", handoff: "Uma pessoa da nossa equipe de suporte vai continuar daqui.", human: "Falar com um atendente",
      ask: "Quero falar com um atendente", team: "Equipe de suporte", unread: "nova mensagem", back: "Voc\u00ea est\u00e1 falando de novo com o assistente.",
      unreachable: "N\u00e3o conseguimos falar com o assistente. Verifique sua conex\u00e3o e tente de novo.", wrong: "Algo deu errado." },
    nl: { title: "Hulp", greeting: "Hallo! Stel me een vraag over ons helpcentrum.", placeholder: "Typ je vraag\u2026",
      send: "Versturen", sendLabel: "Bericht versturen", form: "Een bericht versturen", message: "Je bericht", open: "Chat openen met ",
      close: "Chat sluiten", closeWith: "Chat sluiten met ", conversation: "Gesprek", typing: " is aan het typen", sources: "Bronnen",
      notSent: "niet verstuurd", handoff: "Een medewerker van ons supportteam neemt het vanaf hier over.", human: "Een medewerker spreken",
      ask: "Ik wil een medewerker spreken", team: "Supportteam", unread: "nieuw bericht", back: "Je chat weer met de assistent.",
      unreachable: "We kunnen de assistent niet bereiken. Controleer je verbinding en probeer het opnieuw.", wrong: "Er ging iets mis." }
  };
  var lang = String(cfg.lang || document.documentElement.lang || navigator.language || "en").split(/[-_]/)[0].toLowerCase();
  var W = words[lang] || words.en;
  var title = cfg.title || W.title;
  var greeting = cfg.greeting || W.greeting;
  var storeKey = "switchboard:" + base;

  var css = [
    ":host{all:initial}",
    "*{box-sizing:border-box;font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif}",
    ".launcher{position:fixed;right:20px;bottom:20px;z-index:2147483000;width:60px;height:60px;border-radius:50%;border:0;background:#1f5fd6;color:#fff;cursor:pointer;box-shadow:0 6px 18px rgba(0,0,0,.25);display:flex;align-items:center;justify-content:center}",
    ".launcher:focus-visible,button:focus-visible,textarea:focus-visible,a:focus-visible{outline:3px solid #ffb020;outline-offset:2px}",
    ".launcher svg{width:28px;height:28px;fill:currentColor}",
    ".launcher.unread::after{content:'';position:absolute;top:4px;right:4px;width:14px;height:14px;border-radius:50%;background:#e5484d;border:2px solid #fff}",
    ".panel{position:fixed;right:20px;bottom:92px;z-index:2147483000;width:370px;max-width:calc(100vw - 40px);height:520px;max-height:calc(100vh - 120px);background:#fff;color:#1c2330;border-radius:14px;box-shadow:0 12px 40px rgba(0,0,0,.28);display:flex;flex-direction:column;overflow:hidden;font-size:15px;line-height:1.45}",
    ".panel[hidden]{display:none}",
    "header{background:#1f5fd6;color:#fff;padding:14px 16px;display:flex;align-items:center;justify-content:space-between}",
    "header h2{margin:0;font-size:16px;font-weight:600}",
    ".close{background:transparent;border:0;color:#fff;font-size:22px;line-height:1;cursor:pointer;padding:4px 8px;border-radius:6px}",
    ".log{flex:1;overflow-y:auto;padding:14px;display:flex;flex-direction:column;gap:10px;background:#f5f7fb}",
    ".msg{max-width:85%;padding:9px 12px;border-radius:12px;white-space:pre-wrap;word-wrap:break-word}",
    ".msg.failed{opacity:.55}.msg.failed .text::after{content:" + JSON.stringify(" (" + W.notSent + ")") + ";font-style:italic}",
    ".user{align-self:flex-end;background:#1f5fd6;color:#fff;border-bottom-right-radius:4px}",
    ".bot{align-self:flex-start;background:#fff;border:1px solid #dde3ee;border-bottom-left-radius:4px}",
    ".agent{align-self:flex-start;background:#eef8f0;border:1px solid #cbe6d2;border-bottom-left-radius:4px}",
    ".who{font-size:12px;font-weight:600;color:#2c6b3f;margin-bottom:2px}",
    ".system{align-self:center;background:#fff4e0;color:#6b4a00;font-size:13px;border-radius:8px}",
    ".sources{margin:8px 0 0;padding:8px 0 0;border-top:1px solid #e6eaf2;font-size:13px;list-style:none}",
    ".sources li{margin:2px 0}",
    ".sources a,a.inline{color:#1f5fd6}",
    ".note{margin-top:6px;font-size:12px;color:#5b6475}",
    ".human{margin-top:8px;border:1px solid #1f5fd6;background:#fff;color:#1f5fd6;border-radius:8px;padding:4px 10px;font-size:13px;cursor:pointer}",
    ".human:disabled{opacity:.5;cursor:default}",
    ".typing{align-self:flex-start;background:#fff;border:1px solid #dde3ee;border-radius:12px;padding:10px 12px;display:flex;gap:4px}",
    ".typing[hidden]{display:none}",
    ".typing span{width:7px;height:7px;border-radius:50%;background:#8a94a6;animation:sb-blink 1.2s infinite both}",
    ".typing span:nth-child(2){animation-delay:.2s}.typing span:nth-child(3){animation-delay:.4s}",
    "@keyframes sb-blink{0%,80%,100%{opacity:.25}40%{opacity:1}}",
    "form{display:flex;gap:8px;padding:10px;border-top:1px solid #e6eaf2;background:#fff}",
    "textarea{flex:1;resize:none;border:1px solid #c9d1df;border-radius:10px;padding:8px 10px;font-size:15px;height:42px;color:#1c2330;background:#fff}",
    ".send{border:0;background:#1f5fd6;color:#fff;border-radius:10px;padding:0 14px;font-size:15px;cursor:pointer}",
    ".send:disabled{opacity:.5;cursor:default}",
    ".code{margin:6px 0;padding:8px;background:#f0f3f8;border-radius:6px;font:13px/1.4 ui-monospace,monospace;white-space:pre;overflow-x:auto}",
    ".sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}"
  ].join("\n");

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text != null) e.textContent = text;
    return e;
  }

  var host = el("div", { id: "switchboard-widget" });
  var root = host.attachShadow({ mode: "open" });
  root.appendChild(el("style", {}, css));

  var launcher = el("button", { class: "launcher", type: "button", "aria-label": W.open + title, "aria-expanded": "false", "aria-controls": "sb-panel" });
  launcher.innerHTML = '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z"/></svg>';
  var panel = el("div", { class: "panel", id: "sb-panel", role: "dialog", "aria-modal": "false", "aria-labelledby": "sb-title", hidden: "" });
  var header = el("header");
  header.appendChild(el("h2", { id: "sb-title" }, title));
  var closeBtn = el("button", { class: "close", type: "button", "aria-label": W.close }, "\u00d7");
  header.appendChild(closeBtn);
  var log = el("div", { class: "log", role: "log", "aria-live": "polite", "aria-label": W.conversation });
  var typing = el("div", { class: "typing", hidden: "", role: "status" });
  typing.appendChild(el("span", { "aria-hidden": "true" }));
  typing.appendChild(el("span", { "aria-hidden": "true" }));
  typing.appendChild(el("span", { "aria-hidden": "true" }));
  typing.appendChild(el("span", { class: "sr" }, title + W.typing));
  var form = el("form", { "aria-label": W.form });
  var input = el("textarea", { rows: "1", "aria-label": W.message, placeholder: W.placeholder, maxlength: "4000" });
  var send = el("button", { class: "send", type: "submit", "aria-label": W.sendLabel }, W.send);
  form.appendChild(input);
  form.appendChild(send);
  panel.appendChild(header);
  panel.appendChild(log);
  panel.appendChild(form);
  root.appendChild(launcher);
  root.appendChild(panel);

  // --- state kept for the browser tab ---------------------------------
  function load() {
    try { return JSON.parse(sessionStorage.getItem(storeKey)) || {}; } catch (e) { return {}; }
  }
  function save() {
    try { sessionStorage.setItem(storeKey, JSON.stringify(state)); } catch (e) { /* private mode */ }
  }
  var state = load();
  state.transcript = state.transcript || [];

  function scroll() { log.scrollTop = log.scrollHeight; }

  // safeURL returns u, resolved, when it is a web page (or, with more,
  // one of those schemes too), else "".
  function safeURL(u, more) {
    if (!u) return "";
    try {
      var p = new URL(u, base);
      return p.protocol === "http:" || p.protocol === "https:" || (more || []).indexOf(p.protocol) >= 0 ? p.href : "";
    } catch (e) { return ""; }
  }

  // renderSources lists reply's citations under it, and the note of a
  // handoff; live, under a fallback, a button asks for a human.
  function renderSources(bubble, reply, live) {
    var old = bubble.querySelector(".sources");
    if (old) old.remove();
    var cites = reply.citations || [];
    if (cites.length) {
      var list = el("ul", { class: "sources", "aria-label": W.sources });
      cites.forEach(function (c) {
        var li = el("li");
        var href = safeURL(c.url);
        if (href) {
          li.appendChild(el("a", { href: href, target: "_blank", rel: "noopener noreferrer", class: "citation" }, c.title || c.source));
        } else {
          li.appendChild(el("span", { class: "citation" }, c.title || c.source));
        }
        list.appendChild(li);
      });
      bubble.appendChild(list);
    }
    if (reply.handoff) bubble.appendChild(el("div", { class: "note" }, W.handoff));
    if (live && reply.fallback && !reply.handoff && !state.human) {
      var human = el("button", { class: "human", type: "button" }, W.human);
      human.addEventListener("click", function () {
        if (busy) return;
        human.disabled = true;
        post(W.ask);
      });
      bubble.appendChild(human);
    }
  }

  // setText shows text in node as plain text, the lines of a code block
  // (between ``` lines, as replies quote commands) in a <pre>.
  function setText(node, text) {
    node.textContent = "";
    var parts = String(text).split("\n"), buf = [], code = null;
    function flush() {
      if (!buf.length) return;
      (code || node).appendChild(document.createTextNode(buf.join("\n")));
      buf = [];
    }
    for (var i = 0; i < parts.length; i++) {
      if (parts[i].trim() === "```") {
        flush();
        if (code) { code = null; } else { code = el("pre", { class: "code" }); node.appendChild(code); }
        continue;
      }
      buf.push(parts[i]);
    }
    flush();
  }

  // linkWords makes the first stand-alone occurrence of each link's words
  // in node's text (code blocks aside) a link, as the article had them.
  function linkWords(node, links) {
    (links || []).forEach(function (l) {
      var href = safeURL(l.url, ["mailto:", "tel:"]);
      if (!href || !l.text) return;
      var walker = document.createTreeWalker(node, NodeFilter.SHOW_TEXT, {
        acceptNode: function (t) { return t.parentNode.closest("pre, a") ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT; }
      });
      for (var t = walker.nextNode(); t; t = walker.nextNode()) {
        var at = wordAt(t.data, l.text);
        if (at < 0) continue;
        var rest = t.splitText(at);
        rest.splitText(l.text.length);
        var a = el("a", { href: href, target: "_blank", rel: "noopener noreferrer", class: "inline" }, l.text);
        rest.parentNode.replaceChild(a, rest);
        return;
      }
    });
  }

  // wordAt is where phrase stands in s with no letter or digit joined to
  // it, or -1.
  function wordAt(s, phrase) {
    var word = /[\p{L}\p{N}]/u;
    for (var i = s.indexOf(phrase); i >= 0; i = s.indexOf(phrase, i + 1)) {
      var before = s.charAt(i - 1), after = s.charAt(i + phrase.length);
      if (!(before && word.test(before)) && !(after && word.test(after))) return i;
    }
    return -1;
  }

  function bubble(role, text, name) {
    var b = el("div", { class: "msg " + role });
    if (role === "agent") b.appendChild(el("div", { class: "who" }, name || W.team));
    var t = el("div", { class: "text" });
    setText(t, text || "");
    b.appendChild(t);
    log.insertBefore(b, typing);
    scroll();
    return b;
  }

  function remember(entry) {
    state.transcript.push(entry);
    if (state.transcript.length > 60) state.transcript.splice(0, state.transcript.length - 60);
    save();
  }

  log.appendChild(typing);
  if (!state.transcript.length) bubble("bot", greeting);
  state.transcript.forEach(function (m) {
    var b = bubble(m.role, m.text, m.name);
    if (m.reply) { linkWords(b.querySelector(".text"), m.reply.links); renderSources(b, m.reply); }
  });

  // --- panel ------------------------------------------------------------
  function open() {
    panel.hidden = false;
    launcher.classList.remove("unread");
    launcher.setAttribute("aria-expanded", "true");
    launcher.setAttribute("aria-label", W.closeWith + title);
    input.focus();
    scroll();
    if (!polling) schedule();
  }
  function close() {
    panel.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
    launcher.setAttribute("aria-label", W.open + title);
    launcher.focus();
    if (!state.human) schedule(); // the bot's conversation: no more asking
  }
  function toggle() { panel.hidden ? open() : close(); }
  launcher.addEventListener("click", toggle);
  closeBtn.addEventListener("click", close);
  panel.addEventListener("keydown", function (e) {
    if (e.key === "Escape") { e.preventDefault(); close(); }
  });
  input.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); submit(); }
  });
  form.addEventListener("submit", function (e) { e.preventDefault(); submit(); });

  // --- talking to the server -------------------------------------------
  var busy = false;

  function submit() {
    var text = input.value.trim();
    if (!text || busy) return;
    input.value = "";
    post(text);
  }

  // post shows text as the user's and sends it.
  function post(text) {
    var b = bubble("user", text), entry = { role: "user", text: text };
    remember(entry);
    ask(text, true).then(function (delivered) {
      if (delivered) return;
      // Not sent: it leaves the saved conversation and goes back into
      // the box to send again; left in place, it read as asked and
      // unanswered, and a resend showed it twice.
      b.classList.add("failed");
      b.setAttribute("aria-label", "(" + W.notSent + ") " + text);
      var i = state.transcript.lastIndexOf(entry);
      if (i >= 0) { state.transcript.splice(i, 1); save(); }
      if (!input.value.trim()) input.value = text;
    });
  }

  function setBusy(b) {
    busy = b;
    send.disabled = b;
    typing.hidden = !b;
    log.setAttribute("aria-busy", b ? "true" : "false");
    scroll();
  }

  function systemNote(text) {
    bubble("system", text);
  }

  var maxTries = 4;

  // newMessageID returns 24 random hex digits.
  function newMessageID() {
    var a = new Uint8Array(12), out = "";
    try { crypto.getRandomValues(a); } catch (e) { for (var i = 0; i < a.length; i++) a[i] = Math.floor(Math.random() * 256); }
    for (var j = 0; j < a.length; j++) out += (a[j] < 16 ? "0" : "") + a[j].toString(16);
    return out;
  }

  // ask sends text (try number tries, 1 when absent, with message id id)
  // and shows the reply; mayRetry allows one new conversation after a bad
  // token. It resolves to whether the bot took the message: a reply, or
  // a human agent's conversation (409 human_handling).
  function ask(text, mayRetry, id, tries) {
    id = id || newMessageID();
    tries = tries || 1;
    setBusy(true);
    var body = { text: text, message_id: id };
    if (state.conversation_id) { body.conversation_id = state.conversation_id; body.token = state.token; }
    var reply = null, failed = false, b = null, streamed = "";
    // again sends the same message once more, after a growing pause.
    function again() {
      return new Promise(function (done) { setTimeout(done, 500 * Math.pow(2, tries - 1)); })
        .then(function () { return ask(text, mayRetry, id, tries + 1); });
    }
    function onEvent(name, data) {
      if (name === "conversation") {
        state.conversation_id = data.conversation_id; state.token = data.token; save();
      } else if (name === "delta") {
        if (!b) { b = bubble("bot", ""); typing.hidden = true; }
        streamed += data.text;
        setText(b.querySelector(".text"), streamed);
        scroll();
      } else if (name === "reply") {
        reply = data.reply;
        state.conversation_id = data.conversation_id; state.token = data.token;
        if (!b) b = bubble("bot", "");
        setText(b.querySelector(".text"), reply.text);
        linkWords(b.querySelector(".text"), reply.links);
        renderSources(b, reply, true);
        remember({ role: "bot", text: reply.text, reply: { citations: reply.citations, links: reply.links, handoff: reply.handoff } });
        scroll();
        if (reply.handoff) watchAgent(); else if (!polling) schedule();
      } else if (name === "error") {
        failed = true;
        systemNote((data.error && data.error.message) || W.wrong);
      }
    }
    return fetch(endpoint, {
      method: "POST",
      headers: { "Content-Type": "application/json", "Accept": "text/event-stream" },
      body: JSON.stringify(body)
    }).then(function (res) {
      var type = res.headers.get("Content-Type") || "";
      if (res.ok && type.indexOf("text/event-stream") === 0 && res.body && res.body.getReader) {
        return readStream(res.body.getReader(), onEvent).then(function () {
          if (!reply && !failed) throw new Error("the stream ended without a reply");
        });
      }
      if (res.status === 503 && tries < maxTries) return again();
      return res.json().then(function (j) {
        if (j && j.error) {
          if (res.status === 401 && j.error.code === "bad_token" && mayRetry) {
            newConversation();
            return ask(text, false, id, tries);
          }
          // Once is enough to say that a human has the conversation.
          if (j.error.code !== "human_handling" || !state.human) systemNote(j.error.message);
          if (j.error.code === "human_handling") watchAgent();
          // Kept for the agent, or already received: it was sent.
          return j.error.code === "human_handling" || j.error.code === "duplicate";
        } else if (j && j.reply) {
          onEvent("reply", j);
        }
        return !!reply;
      });
    }).catch(function () {
      if (!reply && !failed && tries < maxTries) return again();
      systemNote(W.unreachable);
      return false;
    }).then(function (delivered) {
      if (tries === 1) {
        setBusy(false);
        if (!panel.hidden) input.focus();
      }
      return delivered === undefined ? !!reply : delivered;
    });
  }

  // readStream parses Server-Sent Events: "event:" and "data:" lines, an
  // event ending at a blank line, ":" lines being comments.
  function readStream(reader, onEvent) {
    var decoder = new TextDecoder();
    var buf = "";
    function dispatch(block) {
      var name = "message", data = [];
      block.split(/\r?\n/).forEach(function (line) {
        if (!line || line[0] === ":") return;
        var i = line.indexOf(":");
        var field = i < 0 ? line : line.slice(0, i);
        var value = i < 0 ? "" : line.slice(i + 1).replace(/^ /, "");
        if (field === "event") name = value;
        else if (field === "data") data.push(value);
      });
      if (!data.length) return;
      var parsed;
      try { parsed = JSON.parse(data.join("\n")); } catch (e) { return; }
      onEvent(name, parsed);
    }
    function pump() {
      return reader.read().then(function (r) {
        if (r.value) buf += decoder.decode(r.value, { stream: true });
        var m;
        while ((m = /\r?\n\r?\n/.exec(buf))) {
          dispatch(buf.slice(0, m.index));
          buf = buf.slice(m.index + m[0].length);
        }
        if (r.done) { if (buf.trim()) dispatch(buf); return; }
        return pump();
      });
    }
    return pump();
  }

  // --- a human agent's replies -----------------------------------------
  // While a human agent has the conversation, ask the server every 3
  // seconds (20 in a background tab) for what was said since the last
  // message seen; while the bot has it and the panel is open, every 15,
  // for an agent who takes the conversation over. A 401 or 404 (the
  // conversation is gone) stops the asking.
  var polling = null, pollFailures = 0, pollOff = false;

  function schedule(delay) {
    if (polling) clearTimeout(polling);
    polling = null;
    if (pollOff || !state.conversation_id || (!state.human && panel.hidden)) return;
    if (delay == null) {
      delay = state.human ? (document.hidden ? 20000 : 3000) : 15000;
      delay = Math.min(delay * Math.pow(2, pollFailures), 60000);
    }
    polling = setTimeout(poll, delay);
  }

  // newConversation forgets the conversation the server no longer knows
  // (its token is refused): the next message starts another, which a
  // human agent may take too.
  function newConversation() {
    delete state.conversation_id; delete state.token; delete state.since;
    state.human = false; pollOff = false;
    save();
    schedule();
  }

  // A tab brought back to the front asks at once while an agent has the
  // conversation, not at the end of the background tab's longer wait.
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden && state.human) schedule(500);
  });

  function watchAgent() {
    if (!state.human) { state.human = true; save(); }
    schedule(1000);
  }

  function poll() {
    polling = null;
    var url = endpoint + "?conversation_id=" + encodeURIComponent(state.conversation_id);
    if (state.since) url += "&since=" + encodeURIComponent(state.since);
    fetch(url, { headers: { "Authorization": "Bearer " + state.token, "Accept": "application/json" } })
      .then(function (res) {
        if (res.status === 401 || res.status === 404 || res.status === 405) {
          pollOff = true; state.human = false; save();
          return;
        }
        if (!res.ok) throw new Error("status " + res.status);
        return res.json().then(showAgent);
      })
      .then(function () { pollFailures = 0; }, function () { pollFailures++; })
      .then(function () { schedule(); });
  }

  // showAgent shows the agent's messages of a transcript that are not
  // on screen yet, and notices the end of the handoff.
  function showAgent(t) {
    var shown = {};
    state.transcript.forEach(function (m) { if (m.role === "agent") shown[m.time] = true; });
    (t.messages || []).forEach(function (m) {
      if (m.role === "agent" && !shown[m.time]) {
        bubble("agent", m.text, m.name);
        remember({ role: "agent", text: m.text, name: m.name, time: m.time });
        if (panel.hidden) {
          // The visitor closed the panel to wait: the launcher says so.
          launcher.classList.add("unread");
          launcher.setAttribute("aria-label", W.open + title + " (" + W.unread + ")");
        }
      }
      state.since = m.time;
    });
    if (t.state === "human") {
      state.human = true; // an agent took the conversation over
    } else if (state.human) {
      state.human = false;
      systemNote(W.back);
    }
    save();
  }

  if (state.human) watchAgent(); else schedule();

  function mount() { document.body.appendChild(host); }
  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);

  window.Switchboard = { version: 1, open: open, close: close, toggle: toggle };
})();
