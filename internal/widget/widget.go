// Package widget serves the embeddable page-rating widget: one script a council web page
// includes to ask "Is this page useful?" and post the answer to POST /v1/ratings.
package widget

import (
	"crypto/sha256"
	"crypto/sha512"
	_ "embed"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strings"
)

// Path is where the hub serves the script; the version is in the path, so a changed
// script is a new path (v2) and v1 may be cached for a year.
const Path = "/widget/v1/page-rating.js"

//go:embed page-rating.js
var script []byte

var etag = func() string {
	sum := sha256.Sum256(script)
	return `"` + hex.EncodeToString(sum[:16]) + `"`
}()

// Script is the widget's source as served.
func Script() []byte { return script }

// Integrity is the Subresource Integrity value for the script (sha384, base64).
func Integrity() string {
	sum := sha512.Sum384(script)
	return "sha384-" + base64.StdEncoding.EncodeToString(sum[:])
}

// Serve answers GET and HEAD for the script: long-cached, with an ETag for revalidation
// and open to any origin without credentials (a <script integrity crossorigin> needs
// CORS to check its hash).
func Serve(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/javascript; charset=utf-8")
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("ETag", etag)
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Cross-Origin-Resource-Policy", "cross-origin")
	if matches(r.Header.Get("If-None-Match")) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(script)
	}
}

func matches(ifNoneMatch string) bool {
	for _, tag := range strings.Split(ifNoneMatch, ",") {
		tag = strings.TrimPrefix(strings.TrimSpace(tag), "W/")
		if tag == etag || tag == "*" {
			return true
		}
	}
	return false
}
