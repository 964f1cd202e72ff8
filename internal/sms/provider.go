package sms

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Message is one survey text to send.
type Message struct {
	To              string            // E.164
	Body            string            // the text, for providers that take it whole (Twilio)
	Personalisation map[string]string // template fields, for providers with templates (Notify)
	Reference       string            // our id for the send; never personal data
}

// Sent is the provider's acceptance of a message.
type Sent struct {
	ProviderID string
}

// Provider sends SMS.
type Provider interface {
	Name() string
	Send(ctx context.Context, m Message) (Sent, error)
}

// ErrRetryable marks failures worth trying again (429, 5xx, timeouts): the send is
// retried with back-off. Other failures are permanent.
var ErrRetryable = errors.New("temporary provider failure")

// statusError turns a provider's HTTP status into an error, retryable when it should be.
func statusError(provider string, status int, body []byte) error {
	msg := fmt.Sprintf("%s answered %d: %.200s", provider, status, body)
	if status == 429 || status >= 500 {
		return fmt.Errorf("%w: %s", ErrRetryable, msg)
	}
	return errors.New(msg)
}

// transportError marks network failures and timeouts as retryable.
func transportError(provider string, err error) error {
	return fmt.Errorf("%w: %s: %w", ErrRetryable, provider, err)
}

// requestTimeout bounds one call to a provider.
const requestTimeout = 10 * time.Second
