package sms

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

var twilioParams = url.Values{
	"Digits": {"1234"}, "CallSid": {"CA1234567890ABCDE"}, "To": {"+18005551212"}, "Caller": {"+14158675309"},
	"From": {"+14158675309"}, "ReasonConferenceEnded": {"test"}, "Reason": {"Participant"},
}

func TestTwilioSignature_PublishedVectors(t *testing.T) {
	if got := TwilioSignature("12345", "https://mycompany.com/myapp.php?foo=1&bar=2", twilioParams); got != "vOEb5UThFn24KEfnOFLQY2AE5FY=" {
		t.Errorf("https signature = %s", got)
	}
	if got := TwilioSignature("12345", "http://mycompany.com/myapp.php?foo=1&bar=2", twilioParams); got != "n2xBNyzSW7rfYStDtOFiFMv7qNo=" {
		t.Errorf("http signature = %s", got)
	}
}

func TestVerifyTwilio(t *testing.T) {
	const u = "https://mycompany.com/myapp.php?foo=1&bar=2"
	sig := "vOEb5UThFn24KEfnOFLQY2AE5FY="
	if !VerifyTwilio("12345", u, twilioParams, nil, sig) {
		t.Error("the published vector does not verify")
	}
	if !VerifyTwilio("12345", "https://mycompany.com:443/myapp.php?foo=1&bar=2", twilioParams, nil, sig) {
		t.Error("the URL with :443 does not verify")
	}
	tampered := url.Values{}
	for k, v := range twilioParams {
		tampered[k] = v
	}
	tampered.Set("Digits", "9999")
	for name, ok := range map[string]bool{
		"tampered params": VerifyTwilio("12345", u, tampered, nil, sig),
		"wrong token":     VerifyTwilio("54321", u, twilioParams, nil, sig),
		"other URL":       VerifyTwilio("12345", "https://evil.example/myapp.php?foo=1&bar=2", twilioParams, nil, sig),
		"no signature":    VerifyTwilio("12345", u, twilioParams, nil, ""),
	} {
		if ok {
			t.Errorf("%s verified", name)
		}
	}
	body := []byte(`{"property":"value"}`)
	digest := sha256.Sum256(body)
	sum := hex.EncodeToString(digest[:])
	jsonURL := "https://mycompany.com/myapp.php?bodySHA256=" + sum
	jsonSig := TwilioSignature("12345", jsonURL, nil)
	if !VerifyTwilio("12345", jsonURL, nil, body, jsonSig) {
		t.Error("the JSON-body form does not verify")
	}
	if VerifyTwilio("12345", jsonURL, nil, []byte(`{"property":"other"}`), jsonSig) {
		t.Error("a changed JSON body verified")
	}
}

func TestNotify_SendsTheDocumentedRequest(t *testing.T) {
	const serviceID = "26785a09-ab16-4eb0-8407-a37497a57506"
	const secret = "3d844edf-8d35-48ac-975b-e847b4f122b0"
	var got struct {
		path, auth string
		body       map[string]any
	}
	status := http.StatusCreated
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.path, got.auth = r.URL.Path, r.Header.Get("Authorization")
		raw, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(raw, &got.body)
		w.WriteHeader(status)
		_, _ = w.Write([]byte(`{"id":"740e5834-3a29-46b4-9a6f-16142fde533a","reference":"s-1","content":{"body":"x","from_number":"GOVUK"},"uri":"u","template":{"id":"t","version":1,"uri":"u"}}`))
	}))
	defer srv.Close()
	n, err := NewNotify(NotifyConfig{APIKey: "contacthub_test-" + serviceID + "-" + secret, BaseURL: srv.URL, TemplateID: "f33517ff-2a88-4f6e-b855-c550268ce08a"})
	if err != nil {
		t.Fatal(err)
	}
	sent, err := n.Send(context.Background(), Message{To: "+447700900123", Personalisation: map[string]string{"service": "council tax"}, Reference: "s-1"})
	if err != nil || sent.ProviderID != "740e5834-3a29-46b4-9a6f-16142fde533a" {
		t.Fatalf("send: %+v %v", sent, err)
	}
	if got.path != "/v2/notifications/sms" || got.body["phone_number"] != "+447700900123" || got.body["template_id"] != "f33517ff-2a88-4f6e-b855-c550268ce08a" || got.body["reference"] != "s-1" {
		t.Fatalf("request = %+v", got)
	}
	for k := range got.body {
		if !strings.Contains("phone_number template_id personalisation reference", k) {
			t.Fatalf("Notify rejects unknown field %q", k)
		}
	}
	tok, err := jwt.Parse(strings.TrimPrefix(got.auth, "Bearer "), func(t *jwt.Token) (any, error) { return []byte(secret), nil },
		jwt.WithValidMethods([]string{"HS256"}))
	if err != nil {
		t.Fatalf("token: %v", err)
	}
	claims := tok.Claims.(jwt.MapClaims)
	if claims["iss"] != serviceID || len(claims) != 2 || tok.Header["typ"] != "JWT" {
		t.Fatalf("claims %v header %v", claims, tok.Header)
	}
	if iat := int64(claims["iat"].(float64)); time.Since(time.Unix(iat, 0)) > 30*time.Second {
		t.Fatal("iat is not now")
	}
	for s, retry := range map[int]bool{429: true, 500: true, 503: true, 400: false, 403: false} {
		status = s
		_, err := n.Send(context.Background(), Message{To: "+447700900123"})
		if err == nil || errors.Is(err, ErrRetryable) != retry {
			t.Errorf("status %d: err %v, retryable %v", s, err, errors.Is(err, ErrRetryable))
		}
	}
}

func TestTwilio_SendsTheDocumentedRequest(t *testing.T) {
	var form url.Values
	var user, pass, path string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path = r.URL.Path
		user, pass, _ = r.BasicAuth()
		_ = r.ParseForm()
		form = r.PostForm
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"sid":"SM1234","status":"queued"}`))
	}))
	defer srv.Close()
	tw, err := NewTwilio(TwilioConfig{AccountSID: "AC123", AuthToken: "tok", MessagingServiceSID: "MG9", BaseURL: srv.URL, StatusCallback: "https://hub.example/v1/callbacks/twilio/status"})
	if err != nil {
		t.Fatal(err)
	}
	sent, err := tw.Send(context.Background(), Message{To: "+447700900123", Body: "How was your call?"})
	if err != nil || sent.ProviderID != "SM1234" {
		t.Fatalf("send: %+v %v", sent, err)
	}
	if path != "/2010-04-01/Accounts/AC123/Messages.json" || user != "AC123" || pass != "tok" ||
		form.Get("To") != "+447700900123" || form.Get("Body") != "How was your call?" || form.Get("MessagingServiceSid") != "MG9" ||
		form.Get("StatusCallback") != "https://hub.example/v1/callbacks/twilio/status" {
		t.Fatalf("request: %s %s:%s %v", path, user, pass, form)
	}
}
