// Package e2e holds the flows that cross features: accounts, credentials,
// the router's refusals, metrics, round trips and the OpenAPI contract,
// each through the real router over a fresh embedded database.
package e2e

import (
	"testing"

	"github.com/blogapi/blogapi/internal/apitest"
)

func TestMain(m *testing.M) { apitest.Main(m) }
