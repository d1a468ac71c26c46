package importer_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"acuerdo/importer"
)

// errorsText renders a summary's rejected rows and its one-line summary for a
// golden file.
func errorsText(sum importer.Summary) string {
	var b strings.Builder
	for _, e := range sum.Errors {
		fmt.Fprintln(&b, e)
	}
	sum.Elapsed = 0
	fmt.Fprintln(&b, sum.String())
	return b.String()
}

// TestMalformedCSV is issue 10, item 10: one unbalanced quote used to import
// "successfully", ten rows merged into three; a stray separator shifted the
// columns. Each is now a rejected row with its number and what to do, and
// nothing is written (the import's transaction is rolled back).
func TestMalformedCSV(t *testing.T) {
	for _, name := range []string{"unbalanced_quote.csv", "field_count.csv"} {
		t.Run(name, func(t *testing.T) {
			db, path := openDB(t)
			sum := importFile(t, db, filepath.Join("testdata", name), importer.Options{})
			if sum.Written || sum.Rejected == 0 {
				t.Fatalf("a malformed file was imported: %+v", sum)
			}
			golden(t, strings.TrimSuffix(name, ".csv")+".errors", errorsText(sum))
			if got := dump(t, path); got != "" {
				t.Fatalf("the database holds rows after a rejected import:\n%s", got)
			}
		})
	}
}

// TestHeaderSpellings: the usual es/pt/en spellings of due date, installment
// value, days past due and email are recognised (a Fecha_proximo_pago column
// used to be dropped, and every due date with it), and the columns nobody
// recognises are listed in the summary instead of vanishing.
func TestHeaderSpellings(t *testing.T) {
	for _, tt := range []struct {
		file, country string
		ignored       []string
	}{
		{"headers_es.csv", "CO", []string{"Sucursal", "Asesor"}},
		{"headers_pt.csv", "BR", []string{"Agencia"}},
		{"headers_en.csv", "US", []string{"branch"}},
	} {
		t.Run(tt.file, func(t *testing.T) {
			db, path := openDB(t)
			sum := importFile(t, db, filepath.Join("testdata", tt.file), importer.Options{Country: tt.country})
			if !sum.Written || sum.Rejected != 0 {
				t.Fatalf("summary %+v, errors %v", sum, sum.Errors)
			}
			if fmt.Sprint(sum.Ignored) != fmt.Sprint(tt.ignored) {
				t.Errorf("ignored columns %q, want %q", sum.Ignored, tt.ignored)
			}
			for _, h := range tt.ignored {
				if !strings.Contains(sum.String(), fmt.Sprintf("%q", h)) || !strings.Contains(sum.String(), "--map") {
					t.Errorf("the summary does not name the ignored column %q: %s", h, sum)
				}
			}
			golden(t, tt.file, dump(t, path))
		})
	}
}

// TestMapOption: --map 'HEADER=field' takes a column the aliases do not know;
// a mapping to an unknown field or from a missing column is an error that
// lists what would do.
func TestMapOption(t *testing.T) {
	db, path := openDB(t)
	file := filepath.Join("testdata", "map.csv")
	sum := importFile(t, db, file, importer.Options{})
	if fmt.Sprint(sum.Ignored) != "[Vence el Dias sin pagar]" {
		t.Fatalf("without --map, ignored %q", sum.Ignored)
	}
	db2, path2 := openDB(t)
	sum = importFile(t, db2, file, importer.Options{Map: map[string]string{"Vence el": "due_date", "días sin pagar": "days_past_due"}})
	if len(sum.Ignored) != 0 || !sum.Written {
		t.Fatalf("with --map: %+v", sum)
	}
	golden(t, "map.csv", dump(t, path2))
	if dump(t, path) == dump(t, path2) {
		t.Error("the mapped columns changed nothing")
	}
	for _, c := range []struct {
		m    map[string]string
		want string
	}{
		{map[string]string{"Vence el": "vencimiento"}, "use one of account, phone, name"},
		{map[string]string{"Proximo pago": "due_date"}, "the file has no column"},
		{map[string]string{"Vence el": "due_date", "Dias sin pagar": "due_date"}, "mapped to due_date"},
	} {
		tb, err := importer.OpenFile(file)
		if err != nil {
			t.Fatal(err)
		}
		_, err = importer.Portfolio(context.Background(), db2, tb, importer.Options{Country: "CO", Map: c.m})
		tb.Close()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("--map %v: %v, want an error saying %q", c.m, err, c.want)
		}
	}
}
