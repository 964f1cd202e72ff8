package sms

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
)

// Twilio sends through Twilio's Messages API.
type Twilio struct {
	accountSID, authToken string
	from, serviceSID      string
	statusCallback        string
	baseURL               string
	client                *http.Client
}

// TwilioConfig configures the Twilio adapter.
type TwilioConfig struct {
	AccountSID, AuthToken string
	From                  string // a number, or
	MessagingServiceSID   string // a messaging service
	StatusCallback        string // our public URL for delivery statuses
	BaseURL               string // https://api.twilio.com
	Client                *http.Client
}

// NewTwilio returns the adapter.
func NewTwilio(c TwilioConfig) (*Twilio, error) {
	if c.AccountSID == "" || c.AuthToken == "" || (c.From == "" && c.MessagingServiceSID == "") || c.BaseURL == "" {
		return nil, fmt.Errorf("Twilio needs an account SID, auth token, base URL and a From number or messaging service")
	}
	t := &Twilio{accountSID: c.AccountSID, authToken: c.AuthToken, from: c.From, serviceSID: c.MessagingServiceSID,
		statusCallback: c.StatusCallback, baseURL: strings.TrimRight(c.BaseURL, "/"), client: c.Client}
	if t.client == nil {
		t.client = &http.Client{Timeout: requestTimeout}
	}
	return t, nil
}

// Name is "twilio".
func (t *Twilio) Name() string { return "twilio" }

// Send posts one message to /2010-04-01/Accounts/{sid}/Messages.json.
func (t *Twilio) Send(ctx context.Context, m Message) (Sent, error) {
	form := url.Values{"To": {m.To}, "Body": {m.Body}}
	if t.serviceSID != "" {
		form.Set("MessagingServiceSid", t.serviceSID)
	} else {
		form.Set("From", t.from)
	}
	if t.statusCallback != "" {
		form.Set("StatusCallback", t.statusCallback)
	}
	endpoint := t.baseURL + "/2010-04-01/Accounts/" + url.PathEscape(t.accountSID) + "/Messages.json"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return Sent{}, err
	}
	req.SetBasicAuth(t.accountSID, t.authToken)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := t.client.Do(req)
	if err != nil {
		return Sent{}, transportError("twilio", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return Sent{}, transportError("twilio", err)
	}
	if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK {
		return Sent{}, statusError("twilio", resp.StatusCode, raw)
	}
	var out struct {
		SID string `json:"sid"`
	}
	if err := json.Unmarshal(raw, &out); err != nil || out.SID == "" {
		return Sent{}, fmt.Errorf("twilio: unexpected answer: %.200s", raw)
	}
	return Sent{ProviderID: out.SID}, nil
}

// TwilioSignature computes X-Twilio-Signature for a form POST to fullURL: the URL
// followed by every parameter's key and value, keys in byte order, HMAC-SHA1 with the
// auth token, standard base64.
func TwilioSignature(authToken, fullURL string, params url.Values) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(fullURL)
	for _, k := range keys {
		vs := append([]string(nil), params[k]...)
		sort.Strings(vs)
		for _, v := range vs {
			b.WriteString(k)
			b.WriteString(v)
		}
	}
	mac := hmac.New(sha1.New, []byte(authToken))
	mac.Write([]byte(b.String()))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// VerifyTwilio checks a callback's signature, in constant time, against the URL with
// and without an explicit default port (Twilio may sign either). For a JSON body the
// URL carries bodySHA256: the URL alone is signed and the body's hash must match.
func VerifyTwilio(authToken, fullURL string, params url.Values, rawBody []byte, signature string) bool {
	u, err := url.Parse(fullURL)
	if err != nil || signature == "" {
		return false
	}
	if want := u.Query().Get("bodySHA256"); want != "" {
		sum := sha256.Sum256(rawBody)
		if subtle.ConstantTimeCompare([]byte(hex.EncodeToString(sum[:])), []byte(want)) != 1 {
			return false
		}
		params = nil
	}
	for _, candidate := range urlVariants(u) {
		if subtle.ConstantTimeCompare([]byte(TwilioSignature(authToken, candidate, params)), []byte(signature)) == 1 {
			return true
		}
	}
	return false
}

// urlVariants is the URL as given, with the scheme's default port added, and without it.
func urlVariants(u *url.URL) []string {
	out := []string{u.String()}
	port := map[string]string{"https": "443", "http": "80"}[u.Scheme]
	if port == "" {
		return out
	}
	v := *u
	if u.Port() == "" {
		v.Host = u.Host + ":" + port
	} else if u.Port() == port {
		v.Host = u.Hostname()
	}
	return append(out, v.String())
}
