package routing

import (
	_ "embed"
)

// DefaultJSON is the rule set a new hub publishes as version 1: benefits, local
// taxation, business rates and parking (README.md explains each rule).
//
//go:embed default.json
var DefaultJSON []byte
