package engine_test

import (
	"testing"

	"github.com/ctitui/ctitui/internal/pgtest"
)

// TestMain starts the PostgreSQL server that TestOpenPostgres uses.
func TestMain(m *testing.M) { pgtest.Main(m) }
