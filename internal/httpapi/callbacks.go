package httpapi

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/council/contacthub/internal/satisfaction"
	"github.com/council/contacthub/internal/sms"
)

// Replies is what provider callbacks need of the survey service.
type Replies interface {
	HandleReply(ctx context.Context, in satisfaction.Inbound) (satisfaction.Outcome, error)
	DeliveryStatus(ctx context.Context, provider, eventID, providerID, status string) (bool, error)
}

// CallbackSecrets authenticate the SMS providers' callbacks.
type CallbackSecrets struct {
	NotifyToken     string // the bearer token given to Notify for its callbacks
	TwilioAuthToken string // signs Twilio's callbacks
	PublicURL       string // how Twilio reaches the hub (scheme://host[:port]), for signatures
}

// callbacks holds the provider endpoints. They sit outside the OpenAPI validator: each
// provider authenticates its own way, and Twilio's signature covers the raw form.
type callbacks struct {
	replies   Replies
	secrets   CallbackSecrets
	normalise func(string) (string, error)
}

func (cb *callbacks) register(e *echo.Echo) {
	e.POST("/v1/callbacks/notify/received-text", cb.notifyReceived)
	e.POST("/v1/callbacks/notify/delivery-status", cb.notifyStatus)
	e.POST("/v1/callbacks/twilio/sms", cb.twilioSMS)
	e.POST("/v1/callbacks/twilio/status", cb.twilioStatus)
}

// notifyAuth compares the bearer token in constant time.
func (cb *callbacks) notifyAuth(c echo.Context) error {
	if cb.secrets.NotifyToken == "" {
		return newProblem(notFound, "Notify callbacks are not configured")
	}
	got := strings.TrimPrefix(c.Request().Header.Get(echo.HeaderAuthorization), "Bearer ")
	if subtle.ConstantTimeCompare([]byte(got), []byte(cb.secrets.NotifyToken)) != 1 {
		return newProblem(unauthenticated, "the callback token is not the one configured")
	}
	return nil
}

func decodeJSON(c echo.Context, v any) error {
	dec := json.NewDecoder(c.Request().Body)
	if err := dec.Decode(v); err != nil {
		return newProblem(badRequest, "the body is not the JSON this callback takes")
	}
	return nil
}

func (cb *callbacks) notifyReceived(c echo.Context) error {
	if err := cb.notifyAuth(c); err != nil {
		return err
	}
	var in struct {
		ID           string `json:"id"`
		SourceNumber string `json:"source_number"`
		Message      string `json:"message"`
	}
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	if err := checkText("id", in.ID, "source_number", in.SourceNumber, "message", in.Message); err != nil {
		return err
	}
	return cb.reply(c, "notify", in.ID, in.SourceNumber, in.Message)
}

func (cb *callbacks) notifyStatus(c echo.Context) error {
	if err := cb.notifyAuth(c); err != nil {
		return err
	}
	var in struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	}
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	if err := checkText("id", in.ID, "status", in.Status); err != nil {
		return err
	}
	if _, err := cb.replies.DeliveryStatus(c.Request().Context(), "notify", in.ID, in.ID, in.Status); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// twilioForm reads the form and checks X-Twilio-Signature over the public URL.
func (cb *callbacks) twilioForm(c echo.Context) (url.Values, error) {
	if cb.secrets.TwilioAuthToken == "" {
		return nil, newProblem(notFound, "Twilio callbacks are not configured")
	}
	raw, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return nil, newProblem(badRequest, "the body could not be read")
	}
	form, err := url.ParseQuery(string(raw))
	if err != nil {
		return nil, newProblem(badRequest, "the body is not a form")
	}
	full := strings.TrimRight(cb.secrets.PublicURL, "/") + c.Request().URL.RequestURI()
	if !sms.VerifyTwilio(cb.secrets.TwilioAuthToken, full, form, raw, c.Request().Header.Get("X-Twilio-Signature")) {
		return nil, newProblem(forbidden, "X-Twilio-Signature does not match")
	}
	for _, name := range []string{"MessageSid", "From", "Body", "MessageStatus"} {
		if err := checkText(name, form.Get(name)); err != nil {
			return nil, err
		}
	}
	return form, nil
}

func (cb *callbacks) twilioSMS(c echo.Context) error {
	form, err := cb.twilioForm(c)
	if err != nil {
		return err
	}
	return cb.reply(c, "twilio", form.Get("MessageSid"), form.Get("From"), form.Get("Body"))
}

func (cb *callbacks) twilioStatus(c echo.Context) error {
	form, err := cb.twilioForm(c)
	if err != nil {
		return err
	}
	sid := form.Get("MessageSid")
	if _, err := cb.replies.DeliveryStatus(c.Request().Context(), "twilio", sid, sid, form.Get("MessageStatus")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// reply hands an inbound text to the surveys, with the sender's number normalised.
func (cb *callbacks) reply(c echo.Context, provider, id, from, text string) error {
	if id == "" {
		return newProblem(badRequest, "the callback has no message id")
	}
	phone, err := cb.normalise(from)
	if err != nil {
		return c.NoContent(http.StatusNoContent) // not a number we could have surveyed
	}
	if _, err := cb.replies.HandleReply(c.Request().Context(), satisfaction.Inbound{Provider: provider, EventID: id, From: phone, Text: text}); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
