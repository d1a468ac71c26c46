package importer_test

import (
	"testing"

	"acuerdo/store/storetest"
)

// TestMain runs the importer's tests on SQLite, then again on the machine's
// PostgreSQL, where imports take the COPY path: the golden files prove both
// write the same.
func TestMain(m *testing.M) { storetest.Main(m) }
