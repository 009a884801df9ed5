package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// findChromium returns the path of a Chromium or Chrome binary, or "".
func findChromium() string {
	if p := os.Getenv("GINOAUTH_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// startChromium starts headless Chromium for one test, for at most
// within. Without Chromium the test is skipped, except in CI (CI set),
// where it fails.
func startChromium(t *testing.T, within time.Duration) context.Context {
	t.Helper()
	chromium := findChromium()
	if chromium == "" {
		msg := "no Chromium found: install Debian's chromium package (apt-get install -y chromium) or set GINOAUTH_CHROMIUM"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	whole, cancel := context.WithTimeout(context.Background(), within)
	t.Cleanup(cancel)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(whole,
		chromedp.ExecPath(chromium),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1000, 760),
	)
	t.Cleanup(cancelAlloc)
	browser, cancelBrowser := chromedp.NewContext(allocCtx, chromedp.WithLogf(t.Logf))
	t.Cleanup(cancelBrowser)
	// Start the browser with the test's context: the context of the first
	// run owns the browser, so the steps' shorter ones must not be first.
	started := time.Now()
	if err := chromedp.Do(browser); err != nil {
		t.Fatalf("start %s: %v", chromium, err)
	}
	t.Logf("browser started in %v", time.Since(started).Round(time.Millisecond))
	return browser
}

// TestBrowserEndToEnd drives headless Chromium through the whole app: log
// in with the dev provider, call its API, connect and disconnect a second
// provider, log out, and log in again to the same local user. Screenshots
// of each step go to $GINOAUTH_ARTIFACTS (default: a temporary directory).
// GINOAUTH_UPDATE_SCREENSHOT=1 also writes the README's docs/screenshot-home.png.
func TestBrowserEndToEnd(t *testing.T) {
	artifacts := os.Getenv("GINOAUTH_ARTIFACTS")
	if artifacts == "" {
		artifacts = t.TempDir()
	}
	artifacts = filepath.Join(artifacts, "example-e2e")
	if err := os.MkdirAll(artifacts, 0o755); err != nil {
		t.Fatal(err)
	}
	a, ts := startApp(t, nil)

	browser := startChromium(t, 60*time.Second)

	n := 0
	// step runs one bounded step and saves a screenshot named after it.
	step := func(name string, do func(ctx context.Context) error) {
		t.Helper()
		ctx, cancel := context.WithTimeout(browser, 15*time.Second)
		defer cancel()
		start := time.Now()
		if err := do(ctx); err != nil {
			t.Fatalf("step %q: %v", name, err)
		}
		t.Logf("step %q: %v", name, time.Since(start).Round(time.Millisecond))
		n++
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("step %q: screenshot: %v", name, err)
		}
		file := filepath.Join(artifacts, fmt.Sprintf("%02d-%s.png", n, strings.ReplaceAll(name, " ", "-")))
		if err := os.WriteFile(file, png, 0o644); err != nil {
			t.Fatal(err)
		}
		if name == "connected sandbox" && os.Getenv("GINOAUTH_UPDATE_SCREENSHOT") == "1" {
			docs := filepath.Join("..", "docs")
			if err := os.MkdirAll(docs, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(docs, "screenshot-home.png"), png, 0o644); err != nil {
				t.Errorf("update docs/screenshot-home.png: %v", err)
			}
		}
	}
	// click clicks a visible element and waits for the page it leads to.
	click := func(ctx context.Context, sel string) error {
		_, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
		return err
	}
	text := func(ctx context.Context, sel string) string {
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel), chromedp.NodeVisible))
		if err != nil {
			t.Fatalf("read %s: %v", sel, err)
		}
		return strings.TrimSpace(s)
	}
	// loginAs clicks a provider's login or connect button and picks a user
	// on the provider's chooser page.
	loginAs := func(ctx context.Context, provider, userID string) error {
		if err := click(ctx, `form[action="/login/`+provider+`"] button`); err != nil {
			return err
		}
		if got := text(ctx, "h1"); got != "Sign in with "+provider {
			t.Errorf("chooser page title: got %q, want %q", got, "Sign in with "+provider)
		}
		return click(ctx, `button[name="user"][value="`+userID+`"]`)
	}

	var firstID string
	step("home", func(ctx context.Context) error {
		return chromedp.Do(ctx, chromedp.Navigate(ts.URL), chromedp.WaitVisible(chromedp.CSS(`form[action="/login/dev"] button`)))
	})
	step("chooser", func(ctx context.Context) error {
		return click(ctx, `form[action="/login/dev"] button`)
	})
	step("logged in", func(ctx context.Context) error {
		if err := click(ctx, `button[name="user"][value="1001"]`); err != nil {
			return err
		}
		if got := text(ctx, "#user-name"); got != "Alice Example" {
			t.Errorf("user name: got %q, want %q", got, "Alice Example")
		}
		if got := text(ctx, ".flash"); !strings.Contains(got, "Welcome, Alice Example!") {
			t.Errorf("flash: got %q, want a welcome", got)
		}
		firstID = text(ctx, "#user-id")
		return nil
	})
	step("profile", func(ctx context.Context) error {
		if err := click(ctx, `li[data-provider="dev"] a`); err != nil {
			return err
		}
		if got := text(ctx, "#api-status"); got != "200 OK" {
			t.Errorf("API status: got %q, want 200 OK", got)
		}
		if got := text(ctx, "#api-response"); !strings.Contains(got, `"email": "alice@example.com"`) {
			t.Errorf("API answer: got %q, want alice's profile", got)
		}
		return nil
	})
	step("connected sandbox", func(ctx context.Context) error {
		if err := click(ctx, `a[href="/"].btn`); err != nil {
			return err
		}
		if err := loginAs(ctx, "sandbox", "1001"); err != nil {
			return err
		}
		if got := text(ctx, ".flash"); got != "Connected your Sandbox account." {
			t.Errorf("flash: got %q", got)
		}
		if got := text(ctx, "#user-id"); got != firstID {
			t.Errorf("local user after connecting: got %s, want %s", got, firstID)
		}
		_, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`li[data-provider="sandbox"]`), chromedp.NodeVisible))
		return err
	})
	step("disconnected sandbox", func(ctx context.Context) error {
		revokes := a.sandbox.Count("/revoke")
		if err := click(ctx, `li[data-provider="sandbox"] button`); err != nil {
			return err
		}
		if got := text(ctx, ".flash"); got != "Disconnected your Sandbox account and revoked its token." {
			t.Errorf("flash: got %q", got)
		}
		if got := a.sandbox.Count("/revoke"); got != revokes+1 {
			t.Errorf("revocation requests: got %d, want %d", got, revokes+1)
		}
		return chromedp.Do(ctx, chromedp.WaitNotPresent(chromedp.CSS(`li[data-provider="sandbox"]`)))
	})
	step("logged out", func(ctx context.Context) error {
		if err := click(ctx, "#logout"); err != nil {
			return err
		}
		return chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(`form[action="/login/dev"] button`)),
			chromedp.WaitNotPresent(chromedp.CSS("#user-id")))
	})
	step("denied", func(ctx context.Context) error {
		if err := click(ctx, `form[action="/login/dev"] button`); err != nil {
			return err
		}
		if err := click(ctx, `button[name="deny"]`); err != nil {
			return err
		}
		if got := text(ctx, "#error-title"); got != "Login cancelled" {
			t.Errorf("error page title: got %q, want %q", got, "Login cancelled")
		}
		return nil
	})
	step("logged in again", func(ctx context.Context) error {
		if err := click(ctx, `a[href="/"].btn`); err != nil {
			return err
		}
		if err := loginAs(ctx, "dev", "1001"); err != nil {
			return err
		}
		if got := text(ctx, "#user-id"); got != firstID {
			t.Errorf("local user after logging in again: got %s, want the same %s", got, firstID)
		}
		return nil
	})
	t.Logf("screenshots in %s", artifacts)
}
