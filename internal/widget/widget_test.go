package widget

import (
	"bytes"
	"compress/gzip"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"
)

func TestScript_IsAtMostSixKilobytesGzipped(t *testing.T) {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if _, err := zw.Write(Script()); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if buf.Len() > 6*1024 {
		t.Fatalf("%d bytes gzipped, over 6 KB", buf.Len())
	}
	t.Logf("%d bytes, %d gzipped", len(Script()), buf.Len())
}

// A strict Content-Security-Policy (no unsafe-eval, no unsafe-inline styles) must not
// break the widget: no eval-like calls, no style attributes or <style> elements, no HTML
// parsed from strings.
func TestScript_NeedsNothingAStrictCSPForbids(t *testing.T) {
	forbidden := regexp.MustCompile(`\beval\(|new Function|setTimeout\("|innerHTML|outerHTML|insertAdjacentHTML|document\.write|\.style\.|"style"|createElement\("style"\)|import\(`)
	if m := forbidden.Find(Script()); m != nil {
		t.Fatalf("the script uses %q", m)
	}
	if !bytes.Contains(Script(), []byte("adoptedStyleSheets")) {
		t.Fatal("styles are expected to come from a constructed stylesheet")
	}
}

func TestServe_CachesForAYearAndRevalidatesByETag(t *testing.T) {
	rec := httptest.NewRecorder()
	Serve(rec, httptest.NewRequest(http.MethodGet, Path, nil))
	if rec.Code != 200 || !bytes.Equal(rec.Body.Bytes(), Script()) {
		t.Fatalf("status %d, %d bytes", rec.Code, rec.Body.Len())
	}
	h := rec.Header()
	if !strings.Contains(h.Get("Cache-Control"), "max-age=31536000") || !strings.HasPrefix(h.Get("Content-Type"), "text/javascript") {
		t.Fatalf("headers %v", h)
	}
	if h.Get("Access-Control-Allow-Origin") != "*" || h.Get("Access-Control-Allow-Credentials") != "" {
		t.Fatalf("SRI needs CORS without credentials: %v", h)
	}
	tag := h.Get("ETag")
	req := httptest.NewRequest(http.MethodGet, Path, nil)
	req.Header.Set("If-None-Match", `"other", W/`+tag)
	rec = httptest.NewRecorder()
	Serve(rec, req)
	if rec.Code != http.StatusNotModified || rec.Body.Len() != 0 {
		t.Fatalf("revalidation: status %d, %d bytes", rec.Code, rec.Body.Len())
	}
	req.Header.Set("If-None-Match", `"other"`)
	rec = httptest.NewRecorder()
	Serve(rec, req)
	if rec.Code != 200 {
		t.Fatalf("a stale tag: status %d", rec.Code)
	}
}

// The README prints the integrity hash content editors paste; it must be this script's.
func TestIntegrity_IsTheOneTheREADMEPrints(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(readme, []byte(`integrity="`+Integrity()+`"`)) {
		t.Fatalf("README.md does not show integrity=%q for %s", Integrity(), Path)
	}
}
