package auth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
)

// pinnedKey is a verification key with the one algorithm it may verify.
type pinnedKey struct {
	kid string
	alg string
	key crypto.PublicKey
}

// algFor is the algorithm a public key is pinned to. Pinning by key type is what stops
// an attacker choosing the algorithm (HS256 with a public key's bytes, say).
func algFor(key crypto.PublicKey) (string, error) {
	switch k := key.(type) {
	case *rsa.PublicKey:
		if k.N.BitLen() < 2048 {
			return "", errors.New("RSA keys must be at least 2048 bits")
		}
		return "RS256", nil
	case *ecdsa.PublicKey:
		if k.Curve != elliptic.P256() {
			return "", errors.New("EC keys must be on P-256 (ES256)")
		}
		return "ES256", nil
	case ed25519.PublicKey:
		return "EdDSA", nil
	}
	return "", fmt.Errorf("unsupported key type %T", key)
}

// parsePublicKeyPEM reads one PEM public key and pins it.
func parsePublicKeyPEM(data []byte) (pinnedKey, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return pinnedKey{}, errors.New("not PEM")
	}
	var key crypto.PublicKey
	var err error
	switch block.Type {
	case "PUBLIC KEY":
		key, err = x509.ParsePKIXPublicKey(block.Bytes)
	case "RSA PUBLIC KEY":
		key, err = x509.ParsePKCS1PublicKey(block.Bytes)
	default:
		return pinnedKey{}, fmt.Errorf("PEM block %q is not a public key", block.Type)
	}
	if err != nil {
		return pinnedKey{}, fmt.Errorf("parse public key: %w", err)
	}
	alg, err := algFor(key)
	if err != nil {
		return pinnedKey{}, err
	}
	kid, err := thumbprint(key)
	if err != nil {
		return pinnedKey{}, err
	}
	return pinnedKey{kid: kid, alg: alg, key: key}, nil
}

// thumbprint is the RFC 7638 JWK thumbprint of a public key: the key id an identity
// provider would most likely give it, and the one our development key uses.
func thumbprint(key crypto.PublicKey) (string, error) {
	b64 := base64.RawURLEncoding.EncodeToString
	var members any
	switch k := key.(type) {
	case *rsa.PublicKey:
		members = struct {
			E   string `json:"e"`
			Kty string `json:"kty"`
			N   string `json:"n"`
		}{b64(big.NewInt(int64(k.E)).Bytes()), "RSA", b64(k.N.Bytes())}
	case *ecdsa.PublicKey:
		point, err := k.Bytes() // 0x04 || X || Y, each coordinate padded to the curve size
		if err != nil {
			return "", err
		}
		size := (len(point) - 1) / 2
		members = struct {
			Crv string `json:"crv"`
			Kty string `json:"kty"`
			X   string `json:"x"`
			Y   string `json:"y"`
		}{"P-256", "EC", b64(point[1 : 1+size]), b64(point[1+size:])}
	case ed25519.PublicKey:
		members = struct {
			Crv string `json:"crv"`
			Kty string `json:"kty"`
			X   string `json:"x"`
		}{"Ed25519", "OKP", b64(k)}
	default:
		return "", fmt.Errorf("unsupported key type %T", key)
	}
	// encoding/json writes struct members in declaration order: the lexical order RFC 7638 requires.
	raw, err := json.Marshal(members)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(raw)
	return b64(sum[:]), nil
}
