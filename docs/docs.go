// Package docs holds the API description, embedded in the binary so the
// server can serve it (GET /openapi.yaml) from any working directory.
package docs

import _ "embed" // for go:embed

//go:embed openapi.yaml
var openAPI string

// OpenAPI returns a copy of docs/openapi.yaml, the OpenAPI 3.0.3
// description of every route the server registers: YAML, UTF-8.
// The contract tests (contract_test.go at the module root) hold it to the
// code.
func OpenAPI() []byte { return []byte(openAPI) }
