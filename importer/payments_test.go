package importer_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"acuerdo/importer"
)

func TestPayments(t *testing.T) {
	db, _ := openDB(t)
	ctx := context.Background()
	importFile(t, db, filepath.Join("testdata", "seed.csv"), importer.Options{})
	run := func(file string, skip bool) importer.Summary {
		tb, err := importer.OpenFile(filepath.Join("testdata", file))
		if err != nil {
			t.Fatal(err)
		}
		defer tb.Close()
		sum, err := importer.Payments(ctx, db, tb, importer.Options{Country: "CO", SkipInvalid: skip})
		if err != nil {
			t.Fatal(err)
		}
		return sum
	}
	first := run("payments.csv", false)
	if first.Inserted != 3 || first.Rejected != 0 {
		t.Fatalf("first import %+v %v", first, first.Errors)
	}
	// The same file again records nothing new, including the row without an id.
	again := run("payments.csv", false)
	if again.Inserted != 0 || again.Skipped != 3 {
		t.Fatalf("re-import %+v", again)
	}
	a, _ := db.AccountByRef(ctx, "1001")
	ps, err := db.Payments(ctx, a.ID)
	if err != nil || len(ps) != 2 {
		t.Fatalf("payments of 1001: %+v %v", ps, err)
	}
	// 2026-11-20 10:30 in Bogotá is 15:30 UTC; the row without an id got a stable one.
	if got := ps[0].PaidAt.UTC().Format("2006-01-02 15:04"); got != "2026-11-20 15:30" || ps[0].Amount.Amount != 5000000 || ps[0].Method != "pse" {
		t.Fatalf("first payment %+v (%s)", ps[0], got)
	}
	if !strings.HasPrefix(ps[1].ExternalID, "import:") || ps[1].Amount.Amount != 2500000 {
		t.Fatalf("second payment %+v", ps[1])
	}

	bad := run("payments_invalid.csv", false)
	var b strings.Builder
	for _, e := range bad.Errors {
		fmt.Fprintln(&b, e)
	}
	golden(t, "payments_invalid.errors", b.String())
	if bad.Written {
		t.Fatal("an invalid payments file was written")
	}
	if c, _ := db.Count(ctx); c.Payments != 3 {
		t.Fatalf("payments after rejected file: %d", c.Payments)
	}
	skipped := run("payments_invalid.csv", true)
	if !skipped.Written || skipped.Inserted != 1 || skipped.Rejected != 6 {
		t.Fatalf("skip-invalid %+v", skipped)
	}
}
