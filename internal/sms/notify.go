package sms

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Notify sends through GOV.UK Notify.
type Notify struct {
	serviceID  string
	secret     []byte
	baseURL    string
	templateID string
	senderID   string
	client     *http.Client
	now        func() time.Time
}

// NotifyConfig configures the Notify adapter.
type NotifyConfig struct {
	APIKey     string // {key_name}-{service_id}-{secret}
	BaseURL    string // https://api.notifications.service.gov.uk
	TemplateID string // the survey template
	SenderID   string // optional sms_sender_id
	Client     *http.Client
}

// NewNotify checks the API key's shape and returns the adapter.
func NewNotify(c NotifyConfig) (*Notify, error) {
	// The key ends with the service id and the secret, two UUIDs joined by dashes:
	// the service id is the 36 characters ending 37 from the end, the secret the last 36.
	if len(c.APIKey) < 74 {
		return nil, fmt.Errorf("the Notify API key is too short to hold a service id and secret")
	}
	k := c.APIKey
	n := &Notify{serviceID: k[len(k)-73 : len(k)-37], secret: []byte(k[len(k)-36:]),
		baseURL: strings.TrimRight(c.BaseURL, "/"), templateID: c.TemplateID, senderID: c.SenderID,
		client: c.Client, now: time.Now}
	if n.client == nil {
		n.client = &http.Client{Timeout: requestTimeout}
	}
	if n.templateID == "" || n.baseURL == "" {
		return nil, fmt.Errorf("Notify needs a base URL and a template id")
	}
	return n, nil
}

// Name is "notify".
func (n *Notify) Name() string { return "notify" }

// token is the bearer JWT Notify wants: HS256, claims iss (service id) and iat only.
func (n *Notify) token() (string, error) {
	return jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"iss": n.serviceID, "iat": n.now().Unix()}).SignedString(n.secret)
}

type notifySend struct {
	PhoneNumber     string            `json:"phone_number"`
	TemplateID      string            `json:"template_id"`
	Personalisation map[string]string `json:"personalisation,omitempty"`
	Reference       string            `json:"reference,omitempty"`
	SMSSenderID     string            `json:"sms_sender_id,omitempty"`
}

// Send posts one SMS to /v2/notifications/sms.
func (n *Notify) Send(ctx context.Context, m Message) (Sent, error) {
	body, err := json.Marshal(notifySend{PhoneNumber: m.To, TemplateID: n.templateID, Personalisation: m.Personalisation,
		Reference: m.Reference, SMSSenderID: n.senderID})
	if err != nil {
		return Sent{}, err
	}
	tok, err := n.token()
	if err != nil {
		return Sent{}, fmt.Errorf("sign Notify token: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.baseURL+"/v2/notifications/sms", bytes.NewReader(body))
	if err != nil {
		return Sent{}, err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "contacthub")
	resp, err := n.client.Do(req)
	if err != nil {
		return Sent{}, transportError("notify", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return Sent{}, transportError("notify", err)
	}
	if resp.StatusCode != http.StatusCreated {
		return Sent{}, statusError("notify", resp.StatusCode, raw)
	}
	var out struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(raw, &out); err != nil || out.ID == "" {
		return Sent{}, fmt.Errorf("notify: unexpected answer: %.200s", raw)
	}
	return Sent{ProviderID: out.ID}, nil
}
