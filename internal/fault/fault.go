// Package fault gives domain errors a kind that the HTTP layer turns into a status and
// an RFC 9457 problem type, so domain packages never think in status codes.
package fault

import (
	"errors"
	"fmt"
)

// Kind says what went wrong in the caller's terms.
type Kind int

const (
	// Invalid: the input is well-formed but breaks a domain rule (a phone that is not a number).
	Invalid Kind = iota + 1
	// NotFound: no such resource, or not one the caller may see.
	NotFound
	// Conflict: the change conflicts with the current state.
	Conflict
	// IdentifierTaken: another live customer holds the identifier.
	IdentifierTaken
	// Forbidden: the caller may not do this.
	Forbidden
	// PreconditionFailed: If-Match named an older version.
	PreconditionFailed
	// PreconditionRequired: If-Match is required.
	PreconditionRequired
	// Unauthenticated: the caller must say who they are for this.
	Unauthenticated
)

// FieldError names one field and what is wrong with it.
type FieldError struct {
	Field   string
	Message string
}

// Error is a domain error with a kind, a detail safe to show the caller, and optional
// field errors and related resource.
type Error struct {
	Kind   Kind
	Detail string
	Fields []FieldError
	// CustomerID names the customer who holds an identifier (IdentifierTaken).
	CustomerID string
}

func (e *Error) Error() string {
	if len(e.Fields) == 0 {
		return e.Detail
	}
	msg := e.Detail
	for _, f := range e.Fields {
		msg += fmt.Sprintf("; %s: %s", f.Field, f.Message)
	}
	return msg
}

// New returns an error of kind k.
func New(k Kind, format string, args ...any) *Error {
	return &Error{Kind: k, Detail: fmt.Sprintf(format, args...)}
}

// Field returns an Invalid error for one field.
func Field(field, message string) *Error {
	return &Error{Kind: Invalid, Detail: "the request is not valid", Fields: []FieldError{{Field: field, Message: message}}}
}

// Fields collects field errors; Err returns nil when there are none.
type Fields []FieldError

// Add records a problem with a field.
func (fs *Fields) Add(field, message string) { *fs = append(*fs, FieldError{field, message}) }

// Err returns the collected problems as one Invalid error, or nil.
func (fs Fields) Err() error {
	if len(fs) == 0 {
		return nil
	}
	return &Error{Kind: Invalid, Detail: "the request is not valid", Fields: fs}
}

// As returns the *Error in err's chain, if any.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// Is reports whether err carries kind k.
func Is(err error, k Kind) bool {
	e, ok := As(err)
	return ok && e.Kind == k
}
