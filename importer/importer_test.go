package importer_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"acuerdo/demo"
	"acuerdo/importer"
	"acuerdo/store"
	"acuerdo/store/storetest"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

var fixedNow = time.Date(2026, 11, 22, 15, 0, 0, 0, time.UTC)

func openDB(t testing.TB) (*store.DB, string) {
	t.Helper()
	return storetest.Open(t, store.Options{Clock: func() time.Time { return fixedNow }})
}

func importFile(t testing.TB, db *store.DB, path string, opt importer.Options) importer.Summary {
	t.Helper()
	tb, err := importer.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer tb.Close()
	if opt.Country == "" {
		opt.Country = "CO"
	}
	sum, err := importer.Portfolio(context.Background(), db, tb, opt)
	if err != nil {
		t.Fatalf("import %s: %v", path, err)
	}
	return sum
}

// dump renders what the database holds about debtors, accounts and consent, in a
// stable order, for golden comparison.
func dump(t testing.TB, path string) string {
	t.Helper()
	raw, err := store.OpenRaw(path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	rows, err := raw.Query(`SELECT d.phone, d.name, d.document_id, d.email, d.country, d.time_zone, d.locale, d.segment,
		CASE WHEN c.debtor_id IS NULL THEN 'none' WHEN c.revoked_at IS NULL THEN 'granted' ELSE 'revoked' END,
		a.ref, a.currency, COALESCE(a.balance, -1), COALESCE(a.installment_amount, -1), COALESCE(a.next_due_date, ''), COALESCE(a.days_past_due, -1)
		FROM accounts a JOIN debtors d ON d.id = a.debtor_id
		LEFT JOIN consents c ON c.debtor_id = d.id
		ORDER BY d.phone, a.ref`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var phone, name, doc, email, country, tz, locale, seg, consent, ref, cur, due string
		var bal, inst, dpd int64
		if err := rows.Scan(&phone, &name, &doc, &email, &country, &tz, &locale, &seg, &consent, &ref, &cur, &bal, &inst, &due, &dpd); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s %q doc=%s email=%s %s %s %s seg=%s consent=%s | %s %s balance=%d installment=%d due=%s dpd=%d\n",
			phone, name, doc, email, country, tz, locale, seg, consent, ref, cur, bal, inst, due, dpd)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from %s:\n--- got\n%s--- want\n%s", name, path, got, want)
	}
}

func TestImportGolden(t *testing.T) {
	tests := []struct {
		file, country string
		rows          int
	}{
		{"seed.csv", "CO", 3},             // the original bot's three columns, national numbers
		{"latin1_semicolon.csv", "CO", 3}, // Excel's Spanish CSV: ';' and Latin-1
		{"utf8_bom.csv", "BR", 3},         // BOM, Portuguese headers, BR and MX numbers
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			db, path := openDB(t)
			sum := importFile(t, db, filepath.Join("testdata", tt.file), importer.Options{Country: tt.country})
			if sum.Rejected != 0 || sum.Inserted != tt.rows || !sum.Written {
				t.Fatalf("summary %+v, errors %v", sum, sum.Errors)
			}
			golden(t, tt.file, dump(t, path))
		})
	}
}

func TestImportXLSX(t *testing.T) {
	f := excelize.NewFile()
	sh := f.GetSheetName(0)
	rows := [][]any{
		{"Account", "Phone", "Name", "Balance", "Due date", "Days past due", "Consent"},
		{"X-1", 3001234567, "Ana Pérez", 1250000.5, time.Date(2026, 12, 15, 0, 0, 0, 0, time.UTC), 30, "yes"},
		{"X-2", "+55 11 98765-4321", "João Silva", 99.9, "2026-12-20", 0, "no"},
		{nil, nil, nil, nil, nil, nil, nil}, // blank rows are skipped
		{"X-3", "3109876543", "Carlos Gómez", "150.000", nil, nil, nil},
	}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow(sh, cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	style, _ := f.NewStyle(&excelize.Style{NumFmt: 14}) // a date cell, as Excel stores it
	_ = f.SetCellStyle(sh, "E2", "E2", style)
	xlsx := filepath.Join(t.TempDir(), "portfolio.xlsx")
	if err := f.SaveAs(xlsx); err != nil {
		t.Fatal(err)
	}
	db, path := openDB(t)
	sum := importFile(t, db, xlsx, importer.Options{})
	if sum.Rejected != 0 || sum.Inserted != 3 {
		t.Fatalf("summary %+v, errors %v", sum, sum.Errors)
	}
	golden(t, "portfolio.xlsx", dump(t, path))
}

func TestRejections(t *testing.T) {
	db, path := openDB(t)
	sum := importFile(t, db, filepath.Join("testdata", "invalid.csv"), importer.Options{})
	if sum.Written || sum.Inserted != 0 {
		t.Fatalf("an invalid file wrote rows: %+v", sum)
	}
	var b strings.Builder
	for _, e := range sum.Errors {
		fmt.Fprintln(&b, e)
	}
	fmt.Fprintf(&b, "%d rejected of %d\n", sum.Rejected, sum.Rows)
	golden(t, "invalid.errors", b.String())
	if got := dump(t, path); got != "" {
		t.Fatalf("database not empty after a rejected import:\n%s", got)
	}

	// With --skip-invalid the two valid rows land and the same rows are listed.
	sum2 := importFile(t, db, filepath.Join("testdata", "invalid.csv"), importer.Options{SkipInvalid: true})
	if !sum2.Written || sum2.Inserted != 2 || sum2.Rejected != sum.Rejected {
		t.Fatalf("skip-invalid summary %+v", sum2)
	}
	if !strings.Contains(sum.String(), "nothing was written") || strings.Contains(sum2.String(), "nothing was written") {
		t.Fatalf("summaries: %q / %q", sum, sum2)
	}
}

func TestMissingColumns(t *testing.T) {
	db, _ := openDB(t)
	tb, err := importer.NewCSV(strings.NewReader("Nombre,Saldo\nAna,100\n"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = importer.Portfolio(context.Background(), db, tb, importer.Options{Country: "CO"})
	if err == nil || !strings.Contains(err.Error(), "lacks account") || !strings.Contains(err.Error(), "phone") {
		t.Fatalf("err = %v", err)
	}
	if _, err := importer.NewCSV(strings.NewReader("")); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Fatalf("empty file: %v", err)
	}
	if _, err := importer.OpenFile("testdata/old.xls"); err == nil || !strings.Contains(err.Error(), ".xlsx") {
		t.Fatalf("xls: %v", err)
	}
}

func TestReimportIsIdempotent(t *testing.T) {
	db, path := openDB(t)
	file := filepath.Join("testdata", "latin1_semicolon.csv")
	first := importFile(t, db, file, importer.Options{})
	before := dump(t, path)
	second := importFile(t, db, file, importer.Options{})
	if first.Inserted != 3 || second.Inserted != 0 || second.Updated != 3 {
		t.Fatalf("first %+v, second %+v", first, second)
	}
	if after := dump(t, path); after != before {
		t.Fatalf("re-import changed data:\n%s\nvs\n%s", before, after)
	}
	// A later file without a balance column keeps the balances, and a changed
	// name is updated in place.
	tb, _ := importer.NewCSV(strings.NewReader("Credito;Numero;Nombre\nCR-01;3001234567;José Muñoz P.\n"))
	sum, err := importer.Portfolio(context.Background(), db, tb, importer.Options{Country: "CO"})
	if err != nil || sum.Updated != 1 {
		t.Fatalf("partial re-import: %+v %v", sum, err)
	}
	d, err := db.DebtorByPhone(context.Background(), "+573001234567")
	if err != nil || d.Name != "José Muñoz P." || d.DocumentID != "1020304050" {
		t.Fatalf("debtor after partial re-import: %+v %v", d, err)
	}
	accts, _ := db.Accounts(context.Background(), d.ID)
	if len(accts) != 1 || accts[0].Balance == nil || accts[0].Balance.Amount != 123456700 {
		t.Fatalf("balance lost: %+v", accts)
	}
}

// A withdrawn consent is never granted again by a file: an opt-out on WhatsApp
// wins over whatever the creditor's export says.
func TestConsentNeverRegranted(t *testing.T) {
	db, _ := openDB(t)
	ctx := context.Background()
	load := func(consent string) {
		tb, _ := importer.NewCSV(strings.NewReader("Credito,Numero,Nombre,Consentimiento\nC1,3001234567,Ana," + consent + "\n"))
		if _, err := importer.Portfolio(ctx, db, tb, importer.Options{Country: "CO"}); err != nil {
			t.Fatal(err)
		}
	}
	load("si")
	d, _ := db.DebtorByPhone(ctx, "+573001234567")
	if c, err := db.Consent(ctx, d.ID); err != nil || !c.Active() || c.Source != "import" {
		t.Fatalf("consent after grant: %+v %v", c, err)
	}
	load("no")
	load("si")
	if c, err := db.Consent(ctx, d.ID); err != nil || c.Active() {
		t.Fatalf("consent re-granted after revocation: %+v %v", c, err)
	}
}

// Readers are never blocked by an import and never see half of one.
func TestConcurrentReadersDuringImport(t *testing.T) {
	db, _ := openDB(t)
	ctx := context.Background()
	const n = 5000
	var wg sync.WaitGroup
	stop := make(chan struct{})
	errs := make(chan error, 4)
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			reads := 0
			for {
				select {
				case <-stop:
					if reads == 0 {
						errs <- fmt.Errorf("reader never ran")
					}
					return
				default:
				}
				c, err := db.Count(ctx)
				if err != nil {
					errs <- err
					return
				}
				if c.Accounts != 0 && c.Accounts != n {
					errs <- fmt.Errorf("reader saw a partial import: %d accounts", c.Accounts)
					return
				}
				reads++
			}
		}()
	}
	sum, err := demo.Seed(ctx, db, demo.New(3, fixedNow, true), n)
	close(stop)
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if err != nil || sum.Inserted != n {
		t.Fatalf("seed: %+v %v", sum, err)
	}
	if c, _ := db.Count(ctx); c.Accounts != n || c.Debtors != n {
		t.Fatalf("after import: %+v", c)
	}
}
