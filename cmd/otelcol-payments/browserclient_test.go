package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-payments/otelcol-payments/internal/contract"
	"github.com/otelcol-payments/otelcol-payments/internal/e2e"
)

// newChromium starts headless Chromium (CHROMIUM, else /usr/bin/chromium);
// it skips when absent locally and fails when absent in CI.
func newChromium(t *testing.T) context.Context {
	t.Helper()
	path := "/usr/bin/chromium"
	if p := os.Getenv("CHROMIUM"); p != "" {
		path = p
	}
	if _, err := exec.LookPath(path); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s not found (%v): CI must install it", path, err)
		}
		t.Skipf("%s not found (%v); install chromium or set CHROMIUM", path, err)
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
	)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate("about:blank")))
	return ctx
}

// A web page on another origin posts business events as OTLP/HTTP JSON,
// with no SDK, straight to the default profile's receiver: Chromium's CORS
// preflight passes, the collector derives the funnel from them, and the raw
// e-mail does not get out.
func TestBrowserOTLPJSONClientWithCORS(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the default profile and Chromium")
	}
	browser := newChromium(t)
	cfg, _, otlpHTTP := defaultProfileWithOTLP(t, "browserclient")
	factories, err := components()
	require.NoError(t, err)
	col := e2e.Start(t, e2e.WithExporters(factories, e2e.CaptureFactory()), cfg)

	// The shop's page, served from its own origin (another port).
	page := httptest.NewServer(http.FileServer(http.Dir(repoFile(t, "test/browserclient"))))
	defer page.Close()

	ctx, cancel := context.WithTimeout(browser, time.Minute)
	defer cancel()
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(page.URL+"/index.html#http://"+otlpHTTP),
		chromedp.WaitVisible(chromedp.CSS(`body[data-done="true"]`)),
	))
	status, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#status")))
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(status, "200 "), "the cross-origin OTLP/HTTP JSON POST was answered %q", status)

	got := e2e.Sinks("browserclient")
	got.WaitFor(t, time.Minute, "the page's two business events", func(c *e2e.Capture) bool {
		return countEvents(c.Logs.AllLogs(), "") >= 2
	})
	// A new series is first emitted at 0, its value from the next emission.
	got.WaitFor(t, time.Minute, "the funnel steps of both events", func(c *e2e.Capture) bool {
		m := c.Metrics.AllMetrics()
		return latest(m, "checkout.funnel.events", map[string]string{contract.CheckoutStep: "view_item"}) == 1 &&
			latest(m, "checkout.funnel.events", map[string]string{contract.CheckoutStep: "add_to_cart"}) == 1
	})
	require.NoError(t, col.Shutdown())
	m := got.Metrics.AllMetrics()
	assert.Equal(t, 1.0, latest(m, "checkout.funnel.events", map[string]string{contract.CheckoutStep: "view_item"}))
	assert.Equal(t, 1.0, latest(m, "checkout.funnel.events", map[string]string{contract.CheckoutStep: "add_to_cart"}))
	all := dumpJSON(t, got)
	assertNoRawPII(t, all)
	assert.Contains(t, all, `"pii_`, "the e-mail is pseudonymised")
}
