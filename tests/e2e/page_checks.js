// Runs in every page of every browser context the e2e tests open (tests/e2e/page_checks.py adds it, after
// axe-core, as an init script: the browser protocol injects it, so the page's CSP does not apply to it).
// Once a page has reached a route and settled, it asks the test process whether that route still needs an
// accessibility check, runs axe-core and reports the serious and critical violations. It also reports every
// Content-Security-Policy violation the page meets.
(() => {
  if (window.top !== window) return;

  const QUIET_MS = 400;      // a page has settled when its DOM has not changed for this long...
  const LONGEST_MS = 5000;   // ...or when it has been on the route this long (live pages keep changing)
  const TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"];
  const report = (message) => window.__studioPageCheck(message);

  addEventListener("securitypolicyviolation", (event) => report({
    kind: "csp", url: location.href, directive: event.effectiveDirective, blocked: event.blockedURI,
    sample: event.sample, source: `${event.sourceFile}:${event.lineNumber}`,
  }));

  let quietTimer = null;
  let longestTimer = null;
  let waiting = false;
  let running = Promise.resolve();

  const clearTimers = () => {
    clearTimeout(quietTimer);
    clearTimeout(longestTimer);
  };

  async function check() {
    clearTimers();
    waiting = false;
    const url = location.href;
    try {
      if (await report({ kind: "wanted", url })) await audit(url);
    } catch (error) {
      if (location.href === url) report({ kind: "error", url, message: String(error) }).catch(() => {}); // else: left
    }
  }

  async function audit(url) {
    const results = await axe.run(document, { runOnly: { type: "tag", values: TAGS }, resultTypes: ["violations"] });
    if (location.pathname !== new URL(url).pathname) return; // moved on meanwhile: that route is checked on its own
    const violations = results.violations
      .filter((violation) => violation.impact === "serious" || violation.impact === "critical")
      .map((violation) => ({
        id: violation.id, impact: violation.impact, help: violation.help,
        nodes: violation.nodes.map((node) => ({ target: node.target.join(" "), html: node.html.slice(0, 200) })),
      }));
    await report({ kind: "axe", url, violations });
  }

  const runCheck = () => { running = running.then(check, check); return running; };

  function routeReached() {
    clearTimers();
    waiting = true;
    longestTimer = setTimeout(runCheck, LONGEST_MS);
    quietTimer = setTimeout(settled, QUIET_MS);
  }

  // A page waiting for its state shows a spinner, which does not change the DOM: wait for what it waits for.
  function settled() {
    if (document.readyState === "complete" && !document.querySelector(".rt-Spinner")) runCheck();
    else quietTimer = setTimeout(settled, QUIET_MS);
  }

  new MutationObserver(() => {
    if (!waiting) return;
    clearTimeout(quietTimer);
    quietTimer = setTimeout(settled, QUIET_MS);
  }).observe(document, { subtree: true, childList: true, attributes: true, characterData: true });

  // Client-side navigations (React Router) change the route without loading a new document.
  let path = location.pathname;
  const onHistoryChange = () => {
    if (location.pathname !== path) {
      path = location.pathname;
      routeReached();
    }
  };
  for (const name of ["pushState", "replaceState"]) {
    const original = history[name];
    history[name] = function (...args) {
      const result = original.apply(this, args);
      onHistoryChange();
      return result;
    };
  }
  addEventListener("popstate", onHistoryChange);

  // The test process calls this before a tab goes elsewhere and before its context closes, so a route the test
  // leaves before it settled is checked too.
  window.__studioCheckNow = () => (waiting ? runCheck() : running);

  routeReached();
})();
