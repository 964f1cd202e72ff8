package auth

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// DevKey is the development signing key: an Ed25519 key kept in the data directory, so
// `contacthub token` can mint tokens a local hub accepts without an identity provider.
type DevKey struct {
	private ed25519.PrivateKey
	kid     string
}

// NewDevKey makes an in-memory key (tests).
func NewDevKey() (*DevKey, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	return newDevKey(priv)
}

func newDevKey(priv ed25519.PrivateKey) (*DevKey, error) {
	kid, err := thumbprint(priv.Public())
	if err != nil {
		return nil, err
	}
	return &DevKey{private: priv, kid: kid}, nil
}

// LoadOrCreateDevKey reads the key at path, creating it (0600) when absent.
func LoadOrCreateDevKey(path string) (*DevKey, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return createDevKey(path)
	}
	if err != nil {
		return nil, fmt.Errorf("read development key: %w", err)
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("%s is not a PEM private key", filepath.Base(path))
	}
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parse development key: %w", err)
	}
	priv, ok := key.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%s is not an Ed25519 key", filepath.Base(path))
	}
	return newDevKey(priv)
}

func createDevKey(path string) (*DevKey, error) {
	k, err := NewDevKey()
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(k.private)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	// O_EXCL: when two processes start at once, one writes and the other reads its key.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		time.Sleep(50 * time.Millisecond)
		return LoadOrCreateDevKey(path)
	}
	if err != nil {
		return nil, fmt.Errorf("write development key: %w", err)
	}
	if err := pem.Encode(f, &pem.Block{Type: "PRIVATE KEY", Bytes: der}); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("write development key: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("write development key: %w", err)
	}
	return k, nil
}

// PublicKeyPEM is the key a Verifier trusts to accept this key's tokens.
func (k *DevKey) PublicKeyPEM() []byte {
	der, err := x509.MarshalPKIXPublicKey(k.private.Public())
	if err != nil {
		panic(err) // an Ed25519 public key always marshals
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// KID is the key's id (its RFC 7638 thumbprint).
func (k *DevKey) KID() string { return k.kid }

// Claims is what a minted token says.
type Claims struct {
	Subject    string
	Roles      []Role
	Tier       int
	CustomerID string
	LandlordID string
	Issuer     string
	Audience   string
	TTL        time.Duration
	NotBefore  time.Time // zero: now
}

// Mint signs a token (EdDSA, with kid) valid from NotBefore for TTL.
func (k *DevKey) Mint(c Claims) (string, error) {
	start := c.NotBefore
	if start.IsZero() {
		start = time.Now()
	}
	roles := make([]string, len(c.Roles))
	for i, r := range c.Roles {
		roles[i] = string(r)
	}
	mc := jwt.MapClaims{
		"iss": c.Issuer, "aud": c.Audience, "sub": c.Subject, "roles": roles,
		"iat": start.Unix(), "nbf": start.Unix(), "exp": start.Add(c.TTL).Unix(),
	}
	if c.Tier != 0 {
		mc["tier"] = c.Tier
	}
	if c.CustomerID != "" {
		mc["customer_id"] = c.CustomerID
	}
	if c.LandlordID != "" {
		mc["landlord_id"] = c.LandlordID
	}
	t := jwt.NewWithClaims(jwt.SigningMethodEdDSA, mc)
	t.Header["kid"] = k.kid
	return t.SignedString(k.private)
}
