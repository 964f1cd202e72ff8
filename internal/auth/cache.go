package auth

import (
	"crypto/sha256"
	"sync"
	"time"
)

// verified remembers tokens that passed verification until they expire, so a client
// sending the same token on every request pays for the signature check once. Keys are
// SHA-256 digests of the token, so the cache holds no usable token.
type verified struct {
	mu      sync.RWMutex
	entries map[[32]byte]cachedPrincipal
	max     int
}

type cachedPrincipal struct {
	p       Principal
	expires time.Time
}

// maxCached bounds memory: past it, entries are dropped (expired first, else all).
const maxCached = 20000

// maxCacheAge bounds how long a verdict is reused even for long-lived tokens, so a
// key removed from the JWKS stops being honoured within minutes.
const maxCacheAge = 5 * time.Minute

func newVerified() *verified {
	return &verified{entries: map[[32]byte]cachedPrincipal{}, max: maxCached}
}

func (v *verified) get(token string, now time.Time) (Principal, bool) {
	k := sha256.Sum256([]byte(token))
	v.mu.RLock()
	e, ok := v.entries[k]
	v.mu.RUnlock()
	if !ok || !now.Before(e.expires) {
		return Principal{}, false
	}
	return e.p, true
}

func (v *verified) put(token string, p Principal, expires, now time.Time) {
	if limit := now.Add(maxCacheAge); expires.After(limit) {
		expires = limit
	}
	k := sha256.Sum256([]byte(token))
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.entries) >= v.max {
		for key, e := range v.entries {
			if !now.Before(e.expires) {
				delete(v.entries, key)
			}
		}
		if len(v.entries) >= v.max {
			clear(v.entries)
		}
	}
	v.entries[k] = cachedPrincipal{p: p, expires: expires}
}
