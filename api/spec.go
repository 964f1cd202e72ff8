package api

import (
	_ "embed"
	"fmt"

	"github.com/getkin/kin-openapi/openapi3"
)

// SpecYAML is the contract, byte for byte as in the repository's openapi.yaml.
//
//go:embed openapi.yaml
var SpecYAML []byte

// LoadSpec parses and validates the embedded contract. Its servers are cleared so the
// routes match whatever host and port the hub is reached on.
func LoadSpec() (*openapi3.T, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(SpecYAML)
	if err != nil {
		return nil, fmt.Errorf("load openapi.yaml: %w", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		return nil, fmt.Errorf("openapi.yaml is not valid: %w", err)
	}
	doc.Servers = nil
	return doc, nil
}
