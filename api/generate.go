// Package api holds the code generated from openapi.yaml (models and the echo strict
// server interface) and the embedded copy of the contract the hub validates against.
package api

//go:generate cp ../openapi.yaml openapi.yaml
//go:generate go tool oapi-codegen -config server.cfg.yaml openapi.yaml
//go:generate go tool oapi-codegen -config client.cfg.yaml openapi.yaml
//go:generate ../clients/ts/generate.sh
