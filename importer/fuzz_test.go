package importer_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"acuerdo/importer"
)

// FuzzCSV feeds arbitrary bytes through the CSV reader and the row validator: no
// input may panic, every field handed on must be valid UTF-8, and nothing is
// written unless every row was valid.
func FuzzCSV(f *testing.F) {
	for _, name := range []string{"seed.csv", "latin1_semicolon.csv", "utf8_bom.csv", "invalid.csv"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("Credito;Numero;Nombre\n\"a;b\";\"300\"\"1\";x\n"))
	f.Add([]byte("\xef\xbb\xbfcredito\tphone\tname\n1\t+573001234567\t\xe9\n"))
	db, _ := openDB(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		tb, err := importer.NewCSV(bytes.NewReader(data))
		if err != nil {
			return
		}
		for {
			row, _, err := tb.Next()
			if err != nil {
				break
			}
			for _, field := range row {
				if !utf8.ValidString(field) {
					t.Fatalf("invalid UTF-8 field %q", field)
				}
			}
		}
		tb, _ = importer.NewCSV(bytes.NewReader(data))
		sum, err := importer.Portfolio(context.Background(), db, tb, importer.Options{Country: "CO"})
		if err == nil && sum.Rejected > 0 && sum.Written {
			t.Fatalf("rows rejected but the file was written: %+v", sum)
		}
	})
}

// FuzzXLSX mutates a real workbook: a damaged file must fail with an error, never
// a panic.
func FuzzXLSX(f *testing.F) {
	x := excelize.NewFile()
	_ = x.SetSheetRow("Sheet1", "A1", &[]any{"Credito", "Numero", "Nombre"})
	_ = x.SetSheetRow("Sheet1", "A2", &[]any{"1", 3001234567, "Ana"})
	var buf bytes.Buffer
	if err := x.Write(&buf); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		tb, err := importer.NewXLSX(bytes.NewReader(data))
		if err != nil {
			return
		}
		defer tb.Close()
		for i := 0; i < 10000; i++ {
			if _, _, err := tb.Next(); err != nil {
				if !errors.Is(err, io.EOF) && strings.TrimSpace(err.Error()) == "" {
					t.Fatal("empty error")
				}
				return
			}
		}
	})
}
