package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"
)

// Text the hub stores must be valid UTF-8 without NUL: PostgreSQL cannot hold a NUL in
// text at all (the driver fails the query) and SQLite would keep one silently, so one
// engine answered 500 and the other stored what the first could not. These checks run
// once, for every operation, on the JSON body, the query, the path and the declared
// headers, and name the field.

const (
	hasNUL      = "must not contain the NUL character"
	notUTF8     = "must be valid UTF-8"
	notUTF8Body = "must be valid UTF-8 (the body held bytes that are not)"
)

// rawBody reads the request body once and puts it back for whoever reads next (the
// idempotency fingerprint, the validator, the handler): a body read before is handed
// over again, not read and copied a second time.
func rawBody(req *http.Request) ([]byte, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return nil, nil
	}
	if held, ok := req.Body.(*heldBody); ok {
		held.Reset(held.b)
		return held.b, nil
	}
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, err
	}
	req.Body = &heldBody{Reader: bytes.NewReader(body), b: body}
	return body, nil
}

// heldBody is a request body already read into memory.
type heldBody struct {
	*bytes.Reader
	b []byte
}

func (*heldBody) Close() error { return nil }

// badText lists every parameter and body field whose text the hub cannot store.
func badText(req *http.Request, op *openapi3.Operation, pathParams map[string]string, body []byte) []fieldError {
	var out []fieldError
	for name, v := range pathParams {
		out = appendBadText(out, name, v)
	}
	for name, vs := range req.URL.Query() {
		out = appendBadText(out, name, name) // a name is text too
		for _, v := range vs {
			out = appendBadText(out, name, v)
		}
	}
	for _, ref := range op.Parameters {
		if p := ref.Value; p != nil && p.In == openapi3.ParameterInHeader {
			out = appendBadText(out, p.Name, req.Header.Get(p.Name))
		}
	}
	out = append(out, badJSONText(req.Header.Get("Content-Type"), body)...)
	// Maps were walked above; the same request always names its fields in one order.
	slices.SortStableFunc(out, func(a, b fieldError) int { return strings.Compare(a.Field, b.Field) })
	return out
}

func appendBadText(out []fieldError, field, v string) []fieldError {
	switch {
	case strings.IndexByte(v, 0) >= 0:
		return append(out, fieldError{field, hasNUL})
	case !utf8.ValidString(v):
		return append(out, fieldError{field, notUTF8})
	}
	return out
}

// badJSONText names the body's fields holding a NUL or bytes that are not UTF-8. The
// decoder turns invalid bytes into U+FFFD, so when the body is not UTF-8 a string
// holding U+FFFD is where they were. A body that needs neither check is not decoded.
func badJSONText(contentType string, body []byte) []fieldError {
	if len(body) == 0 || !isJSON(contentType) {
		return nil
	}
	valid := utf8.Valid(body)
	if valid && !bytes.Contains(body, []byte(`\u0000`)) {
		return nil
	}
	var doc any
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	if err := d.Decode(&doc); err != nil {
		return nil // not JSON: the validator says so
	}
	w := textWalker{invalidUTF8: !valid}
	w.walk("", doc)
	if !valid && len(w.out) == 0 {
		w.out = append(w.out, fieldError{"", notUTF8Body})
	}
	return w.out
}

func isJSON(contentType string) bool {
	mt, _, _ := strings.Cut(contentType, ";")
	mt = strings.TrimSpace(strings.ToLower(mt))
	return mt == "application/json" || strings.HasSuffix(mt, "+json")
}

type textWalker struct {
	invalidUTF8 bool
	out         []fieldError
}

func (w *textWalker) walk(path string, v any) {
	switch v := v.(type) {
	case string:
		w.check(path, v)
	case []any:
		for i, item := range v {
			w.walk(path+"["+strconv.Itoa(i)+"]", item)
		}
	case map[string]any:
		for k, item := range v {
			field := k
			if path != "" {
				field = path + "." + k
			}
			w.check(field, k)
			w.walk(field, item)
		}
	}
}

func (w *textWalker) check(field, s string) {
	switch {
	case strings.IndexByte(s, 0) >= 0:
		w.out = append(w.out, fieldError{field, hasNUL})
	case w.invalidUTF8 && strings.ContainsRune(s, utf8.RuneError):
		w.out = append(w.out, fieldError{field, notUTF8})
	}
}

// bodyProblem explains why a request body could not be read.
func bodyProblem(err error) *problem {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return newProblem(payloadTooLarge, "the body is larger than this hub accepts")
	}
	return newProblem(badRequest, "the body could not be read")
}

// checkText refuses, naming them, the fields (name, value, name, value…) holding text
// the hub cannot store: for the provider callbacks, which the contract middleware does
// not see.
func checkText(pairs ...string) error {
	var bad []fieldError
	for i := 0; i+1 < len(pairs); i += 2 {
		bad = appendBadText(bad, pairs[i], pairs[i+1])
	}
	if len(bad) == 0 {
		return nil
	}
	return textProblem(bad)
}

// textProblem is the 400 naming each field whose text the hub cannot store.
func textProblem(bad []fieldError) *problem {
	p := newProblem(validation, fmt.Sprintf("%d problem(s) with the request; see errors", len(bad)))
	p.Errors = bad
	return p
}
