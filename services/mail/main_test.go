package mail

import (
	"testing"

	"github.com/blogapi/blogapi/models/dbtest"
)

// TestMain runs the package's tests against one embedded database.
func TestMain(m *testing.M) { dbtest.Main(m) }
