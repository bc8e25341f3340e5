// Package e2e holds the flows that cross features: accounts, credentials,
// the router's refusals, metrics, round trips and the OpenAPI contract,
// each through the real router over a fresh embedded database.
package e2e

import (
	"os"
	"testing"

	"github.com/blogapi/blogapi/internal/apitest"
)

func TestMain(m *testing.M) {
	if dir := os.Getenv(childFerretDBEnv); dir != "" {
		os.Exit(runChildFerretDB(dir))
	}
	apitest.Main(m)
}
