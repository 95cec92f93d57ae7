// Package e2e runs wsecho's page in a real headless Chromium through chromedp:
// the seed's flow (connect, send, close) against the real server, with the log
// checked against the WebSocket frames the browser reports over the DevTools
// protocol.
//
// One browser serves the whole test binary and each test gets a fresh tab.
// The browser is WSECHO_CHROME, or chromium (then chromium-browser,
// google-chrome) on PATH; `make test` installs Debian's chromium when there is
// none. WSECHO_HEADED=1 shows the browser window, for debugging on a desktop.
//
// A failing test leaves a screenshot and the page's log and console in
// e2e/artifacts/, and prints the log and console in its output.
package e2e
