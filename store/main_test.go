package store_test

import (
	"testing"

	"acuerdo/store/storetest"
)

// TestMain runs the whole suite on SQLite, then again on the machine's
// PostgreSQL, each test in a database of its own.
func TestMain(m *testing.M) { storetest.Main(m) }
