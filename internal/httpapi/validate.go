package httpapi

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/labstack/echo/v4"

	"github.com/council/contacthub/internal/auth"
	"github.com/council/contacthub/internal/fault"
)

// TokenVerifier checks a bearer token and says who is calling.
type TokenVerifier interface {
	Verify(ctx context.Context, token string) (auth.Principal, error)
}

// contract validates every request against the spec before a handler runs, and
// authenticates inside that validation, so each operation's `security` and `x-roles`
// in openapi.yaml are exactly what is enforced.
type contract struct {
	router   routers.Router
	literal  literalRoutes
	verifier TokenVerifier
	ivrToken string // static X-IVR-Token, "" when not configured
	roles    map[*openapi3.Operation][]auth.Role
	options  *openapi3filter.Options
}

func newContract(doc *openapi3.T, verifier TokenVerifier, ivrToken string) (*contract, error) {
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("route the contract: %w", err)
	}
	c := &contract{router: router, verifier: verifier, ivrToken: ivrToken, roles: map[*openapi3.Operation][]auth.Role{}}
	if c.literal, err = newLiteralRoutes(doc, router); err != nil {
		return nil, err
	}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			roles, err := rolesOf(op)
			if err != nil {
				return nil, fmt.Errorf("%s %s: %w", method, path, err)
			}
			c.roles[op] = roles
		}
	}
	c.options = &openapi3filter.Options{
		MultiError:         true,
		KeepValidatedValue: true,
		AuthenticationFunc: c.authenticate,
		SchemaValidationOptions: []openapi3.SchemaValidationOption{
			openapi3.WithStringFormatValidator("uuid", openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringForUUIDOfRFC9562)),
		},
	}
	return c, nil
}

// rolesOf reads an operation's x-roles; an operation with security must name roles.
func rolesOf(op *openapi3.Operation) ([]auth.Role, error) {
	raw, ok := op.Extensions["x-roles"]
	if !ok {
		if op.Security != nil && len(*op.Security) == 0 {
			return nil, nil
		}
		return nil, errors.New("operation has no x-roles")
	}
	list, ok := raw.([]any)
	if !ok {
		return nil, errors.New("x-roles must be a list")
	}
	roles := make([]auth.Role, 0, len(list))
	for _, r := range list {
		s, _ := r.(string)
		if !auth.Role(s).Valid() {
			return nil, fmt.Errorf("x-roles names unknown role %q", s)
		}
		roles = append(roles, auth.Role(s))
	}
	return roles, nil
}

// principalSlot carries the principal out of the authentication function, which cannot
// change the request's context itself.
type principalSlot struct{ principal auth.Principal }

type slotKey struct{}

// principalFrom returns who is calling; the zero Principal on unauthenticated routes.
func principalFrom(ctx context.Context) auth.Principal {
	if s, ok := ctx.Value(slotKey{}).(*principalSlot); ok {
		return s.principal
	}
	return auth.Principal{}
}

// bearerToken is the token of an "Authorization: Bearer <token>" header.
func bearerToken(r *http.Request) (string, bool) {
	scheme, token, ok := strings.Cut(r.Header.Get(echo.HeaderAuthorization), " ")
	token = strings.TrimSpace(token)
	return token, ok && strings.EqualFold(scheme, "Bearer") && token != ""
}

// errForbidden marks an authenticated caller whose roles do not allow the operation.
var errForbidden = errors.New("forbidden")

func (c *contract) authenticate(ctx context.Context, in *openapi3filter.AuthenticationInput) error {
	req := in.RequestValidationInput.Request
	if in.SecuritySchemeName == "ivrToken" {
		return c.staticIVRToken(ctx, req.Header.Get("X-IVR-Token"))
	}
	token, ok := bearerToken(req)
	if !ok {
		return errors.New("missing bearer token")
	}
	p, err := c.verifier.Verify(ctx, token)
	if err != nil {
		return err
	}
	if !p.HasAny(c.roles[in.RequestValidationInput.Route.Operation]...) {
		return errForbidden
	}
	if slot, ok := ctx.Value(slotKey{}).(*principalSlot); ok {
		slot.principal = p
	}
	return nil
}

// staticIVRToken admits a telephony platform by the configured shared token.
func (c *contract) staticIVRToken(ctx context.Context, got string) error {
	if c.ivrToken == "" || got == "" {
		return errors.New("missing bearer token")
	}
	if subtle.ConstantTimeCompare([]byte(got), []byte(c.ivrToken)) != 1 {
		return errors.New("X-IVR-Token is not the one configured")
	}
	if slot, ok := ctx.Value(slotKey{}).(*principalSlot); ok {
		slot.principal = auth.Principal{Subject: "ivr", Roles: []auth.Role{auth.Integration}}
	}
	return nil
}

// middleware validates and authenticates; errors become problems naming each field.
func (c *contract) middleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(e echo.Context) error {
		req := e.Request()
		route, params, err := c.findRoute(req)
		if err != nil {
			if errors.Is(err, routers.ErrMethodNotAllowed) {
				e.Response().Header().Set(echo.HeaderAllow, strings.Join(c.allowed(req), ", "))
				return newProblem(methodNotAllowed, "this resource does not allow that method")
			}
			return newProblem(notFound, "no such resource")
		}
		ctx := context.WithValue(req.Context(), slotKey{}, &principalSlot{})
		ctx = context.WithValue(ctx, clientIPKey{}, e.RealIP())
		ctx = context.WithValue(ctx, acceptKey{}, req.Header.Get(echo.HeaderAccept))
		req = req.WithContext(ctx) // once: each WithContext copies the request
		e.SetRequest(req)
		body, err := rawBody(req)
		if err != nil {
			return bodyProblem(err)
		}
		// An empty If-Match names no version (RFC 9110 wants an entity tag or *): it is
		// absent, so an update that needs one gets 428 like a request without it.
		if v, ok := req.Header["If-Match"]; ok && strings.TrimSpace(strings.Join(v, "")) == "" {
			req.Header.Del("If-Match")
		}
		in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: c.options}
		if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
			return requestProblem(err)
		}
		if err := c.optionalToken(ctx, in); err != nil {
			return err
		}
		// Last, so that who may call is settled before what was sent is looked at.
		if bad := badText(req, route.Operation, params, body); len(bad) > 0 {
			return textProblem(bad)
		}
		return next(e)
	}
}

// literalRoutes are the router's own answers for the spec's paths without parameters
// (/v1/customers, /v1/contacts, /v1/ivr/events…), by escaped path and method, found
// once at start. The router tries the spec's paths one regular expression at a time,
// a few percent of a lookup's CPU; its answer depends only on the method and the
// escaped path, so asking it again for the same two gives the same route.
type literalRoutes map[string]map[string]*routers.Route

func newLiteralRoutes(doc *openapi3.T, router routers.Router) (literalRoutes, error) {
	out := literalRoutes{}
	for path, item := range doc.Paths.Map() {
		if strings.ContainsAny(path, "{}") {
			continue
		}
		for method := range item.Operations() {
			req, err := http.NewRequest(method, path, nil)
			if err != nil {
				return nil, fmt.Errorf("route %s %s: %w", method, path, err)
			}
			route, params, err := router.FindRoute(req)
			if err != nil || len(params) > 0 || req.URL.EscapedPath() != path {
				continue // left to the router at each request
			}
			if out[path] == nil {
				out[path] = map[string]*routers.Route{}
			}
			out[path][method] = route
		}
	}
	return out, nil
}

// findRoute is the router's answer for req, remembered for the literal paths.
func (c *contract) findRoute(req *http.Request) (*routers.Route, map[string]string, error) {
	if route, ok := c.literal[req.URL.EscapedPath()][req.Method]; ok {
		r := *route // the router hands each request a route of its own; so does this
		return &r, map[string]string{}, nil
	}
	return c.router.FindRoute(req)
}

// methods are the HTTP methods an OpenAPI path item can describe.
var methods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// allowed lists the methods the spec gives req's path, for the Allow header of a 405
// (RFC 9110 §15.5.6). It asks the router once per method, which only a 405 pays for.
func (c *contract) allowed(req *http.Request) []string {
	var out []string
	for _, m := range methods {
		probe := req.Clone(req.Context())
		probe.Method = m
		if _, _, err := c.router.FindRoute(probe); err == nil {
			out = append(out, m)
		}
	}
	return out
}

type (
	clientIPKey struct{}
	acceptKey   struct{}
)

// clientIP is the caller's address (the first untrusted one behind trusted proxies).
func clientIP(ctx context.Context) string { s, _ := ctx.Value(clientIPKey{}).(string); return s }

// accepts is the request's Accept header.
func accepts(ctx context.Context) string { s, _ := ctx.Value(acceptKey{}).(string); return s }

// optionalToken authenticates a token sent to an operation that also accepts anonymous
// callers (its security lists {}): the validator lets such requests through without
// looking at the token, but a token that is sent must be good and is then who calls.
func (c *contract) optionalToken(ctx context.Context, in *openapi3filter.RequestValidationInput) error {
	if principalFrom(ctx).Subject != "" || in.Request.Header.Get(echo.HeaderAuthorization) == "" {
		return nil
	}
	sec := in.Route.Operation.Security
	if sec == nil || !slices.ContainsFunc(*sec, func(r openapi3.SecurityRequirement) bool { return len(r) == 0 }) {
		return nil
	}
	err := c.authenticate(ctx, &openapi3filter.AuthenticationInput{RequestValidationInput: in, SecuritySchemeName: "bearerAuth"})
	switch {
	case errors.Is(err, errForbidden):
		return newProblem(forbidden, "your token's roles do not allow this operation")
	case err != nil:
		return newProblem(unauthenticated, authDetail(err))
	}
	return nil
}

// requestProblem explains a validation failure: authentication first, then the
// content type, then every field that breaks the schema.
func requestProblem(err error) *problem {
	errs := flatten(err)
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return newProblem(payloadTooLarge, "the body is larger than this hub accepts")
	}
	for _, e := range errs {
		var sec *openapi3filter.SecurityRequirementsError
		if errors.As(e, &sec) {
			for _, inner := range sec.Errors {
				if errors.Is(inner, errForbidden) {
					return newProblem(forbidden, "your token's roles do not allow this operation")
				}
			}
			detail := "a valid bearer token is required"
			if len(sec.Errors) > 0 {
				detail = authDetail(sec.Errors[0])
			}
			return newProblem(unauthenticated, detail)
		}
	}
	// If-Match is a required header of every update, so a client generated from the
	// contract must send it; one that does not gets the 428 of RFC 6585, not a 400.
	for _, e := range errs {
		var re *openapi3filter.RequestError
		if errors.As(e, &re) && re.Parameter != nil && re.Parameter.In == openapi3.ParameterInHeader &&
			re.Parameter.Name == "If-Match" && errors.Is(re.Err, openapi3filter.ErrInvalidRequired) {
			return newProblem(preconditionRequired, "send If-Match with the ETag you read, or * to overwrite")
		}
	}
	p := newProblem(validation, "")
	for _, e := range errs {
		var re *openapi3filter.RequestError
		if !errors.As(e, &re) {
			p.Errors = append(p.Errors, fieldError{"", "is not valid"})
			continue
		}
		if re.RequestBody != nil && strings.Contains(re.Reason, "Content-Type") || strings.Contains(re.Error(), "unsupported content type") {
			return newProblem(unsupportedMedia, "send the body as application/json")
		}
		var parseErr *openapi3filter.ParseError
		if re.RequestBody != nil && errors.As(re.Err, &parseErr) {
			return newProblem(badRequest, "the body is not valid JSON")
		}
		p.Errors = append(p.Errors, fieldErrors(re)...)
	}
	p.Detail = fmt.Sprintf("%d problem(s) with the request; see errors", len(p.Errors))
	return p
}

// authDetail keeps the verifier's short reason and drops kin-openapi's wrapping.
func authDetail(err error) string {
	msg := err.Error()
	if msg == "missing bearer token" {
		return "send Authorization: Bearer <token>"
	}
	if i := strings.LastIndex(msg, ": "); i >= 0 {
		return msg[i+2:]
	}
	return msg
}

// flatten splits the validator's top-level list (not the schema errors inside a
// RequestError, which fieldErrors reads with their request context).
func flatten(err error) []error {
	if multi, ok := err.(openapi3.MultiError); ok {
		var out []error
		for _, e := range multi {
			out = append(out, flatten(e)...)
		}
		return out
	}
	return []error{err}
}

// fieldErrors names the parameter or the JSON path of each schema failure.
func fieldErrors(re *openapi3filter.RequestError) []fieldError {
	base := ""
	if re.Parameter != nil {
		base = re.Parameter.Name
	}
	var schemaErrs []*openapi3.SchemaError
	var multi openapi3.MultiError
	if errors.As(re.Err, &multi) {
		for _, e := range multi {
			var se *openapi3.SchemaError
			if errors.As(e, &se) {
				schemaErrs = append(schemaErrs, se)
			}
		}
	} else {
		var se *openapi3.SchemaError
		if errors.As(re.Err, &se) {
			schemaErrs = append(schemaErrs, se)
		}
	}
	if len(schemaErrs) == 0 {
		msg := re.Reason
		if msg == "" && re.Err != nil {
			msg = re.Err.Error()
		}
		if base == "" && re.RequestBody != nil {
			if msg == "" || strings.Contains(msg, "must have a value") {
				msg = "a request body is required"
			}
		}
		return []fieldError{{Field: base, Message: msg}}
	}
	out := make([]fieldError, 0, len(schemaErrs))
	for _, se := range schemaErrs {
		out = append(out, fieldError{Field: jsonPath(base, se), Message: se.Reason})
	}
	return out
}

// jsonPath writes a schema error's location like identifiers[0].value; for an unknown
// property, the property itself is named.
func jsonPath(base string, se *openapi3.SchemaError) string {
	parts := se.JSONPointer()
	if se.SchemaField == "properties" && strings.HasSuffix(se.Reason, "is unsupported") {
		if name, ok := quoted(se.Reason); ok {
			parts = append(parts, name)
		}
	}
	if se.SchemaField == "required" {
		if name, ok := quoted(se.Reason); ok && (len(parts) == 0 || parts[len(parts)-1] != name) {
			parts = append(parts, name)
		}
	}
	var b strings.Builder
	b.WriteString(base)
	for _, part := range parts {
		if _, err := strconv.Atoi(part); err == nil {
			b.WriteString("[" + part + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(part)
	}
	return b.String()
}

// quoted returns the first double-quoted word of s.
func quoted(s string) (string, bool) {
	_, rest, ok := strings.Cut(s, `"`)
	if !ok {
		return "", false
	}
	name, _, ok := strings.Cut(rest, `"`)
	return name, ok
}

// prefixFields puts prefix before every field a fault names (rules nested in a request).
func prefixFields(err error, prefix string) error {
	f, ok := fault.As(err)
	if !ok {
		return err
	}
	out := *f
	out.Fields = make([]fault.FieldError, len(f.Fields))
	for i, fe := range f.Fields {
		out.Fields[i] = fault.FieldError{Field: prefix + fe.Field, Message: fe.Message}
	}
	return &out
}
