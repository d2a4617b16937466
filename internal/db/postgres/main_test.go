package postgres_test

import (
	"testing"

	"github.com/ctitui/ctitui/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }
