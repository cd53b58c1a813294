// One WebSocket per tab to /ws/live/. Reconnects with backoff; other scripts listen for
// "callboard:live" DOM events instead of opening sockets of their own.
(function () {
  "use strict";
  const url = document.body.dataset.liveUrl;
  if (!url) return;
  const dot = document.getElementById("live-status");
  let delay = 1000;

  function setState(state) {
    if (!dot) return;
    dot.dataset.state = state;
    dot.title = "Live updates: " + state;
  }

  function showNotice(event) {
    const box = document.getElementById("live-notices");
    if (!box) return;
    const item = document.createElement("div");
    item.className = "msg msg-" + (event.level === "error" ? "error" : event.level === "warning" ? "warning" : "info");
    item.dataset.code = event.code || "";
    item.textContent = event.message;
    box.appendChild(item);
  }

  // Same markup as templates/telephony/_needs_sign_in_banner.html, shown without a reload.
  function showSignInBanner(event) {
    const box = document.getElementById("banners");
    if (!box || document.getElementById("ringcentral-banner")) return;
    const banner = document.createElement("div");
    banner.className = "banner banner-warning";
    banner.id = "ringcentral-banner";
    banner.setAttribute("role", "alert");
    const text = document.createElement("span");
    text.textContent = event.message;
    const link = document.createElement("a");
    link.className = "button";
    link.href = event.sign_in_url + "?next=" + encodeURIComponent(location.pathname + location.search);
    link.textContent = "Sign in with RingCentral";
    banner.append(text, link);
    box.prepend(banner);
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(scheme + location.host + url);
    socket.addEventListener("open", function () { delay = 1000; setState("connected"); });
    socket.addEventListener("message", function (msg) {
      let event;
      try { event = JSON.parse(msg.data); } catch (e) { return; }
      if (event.type === "notice") showNotice(event);
      if (event.type === "ringcentral.needs_reauth") showSignInBanner(event);
      document.dispatchEvent(new CustomEvent("callboard:live", { detail: event }));
    });
    socket.addEventListener("close", function (e) {
      setState("disconnected");
      if (e.code === 4401) return; // signed out: do not hammer the server
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    });
  }
  connect();
})();
