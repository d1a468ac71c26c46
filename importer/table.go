// Package importer reads the creditor's portfolio and payment files (CSV or XLSX,
// as spreadsheets in Latin America and Spain write them), validates every row and
// writes the file to the store in one transaction.
package importer

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"
)

// Table is a file of rows with a header, read one row at a time so that a file of
// millions of rows never sits in memory.
type Table interface {
	// Header returns the first row.
	Header() []string
	// Next returns the next row and its 1-based row number in the file (the number
	// a person sees in a spreadsheet), or io.EOF.
	Next() (row []string, line int, err error)
	Close() error
}

// OpenFile opens a CSV or XLSX file, chosen by its extension (.xlsx, .xlsm, or
// anything else as CSV).
func OpenFile(path string) (Table, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return Open(f, path)
}

// Open reads r as the file named path (only its extension matters). Close on the
// returned table closes r when r is an io.Closer, also on error.
func Open(r io.Reader, path string) (Table, error) {
	f, _ := r.(io.Closer)
	if f == nil {
		f = io.NopCloser(nil)
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".xlsx", ".xlsm":
		t, err := NewXLSX(r)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return t, nil
	case ".xls":
		f.Close()
		return nil, fmt.Errorf("%s: the old .xls format is not supported: save the sheet as .xlsx or .csv", path)
	}
	t, err := NewCSV(r)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

type csvTable struct {
	r      *csv.Reader
	c      io.Closer
	header []string
}

// NewCSV reads CSV from r: the delimiter is whichever of ',', ';' and tab the
// header uses most (Excel writes ';' where the decimal mark is a comma), a UTF-8
// byte-order mark is skipped, and fields that are not valid UTF-8 are read as
// Windows-1252, the Latin-1 superset Excel uses for "CSV" in Spanish and
// Portuguese. If r is an io.Closer, Close closes it.
func NewCSV(r io.Reader) (Table, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	if bom, _ := br.Peek(3); bytes.Equal(bom, []byte{0xEF, 0xBB, 0xBF}) {
		_, _ = br.Discard(3)
	}
	first, _ := br.Peek(br.Size())
	if i := bytes.IndexByte(first, '\n'); i >= 0 {
		first = first[:i]
	}
	cr := csv.NewReader(br)
	cr.Comma = sniffDelimiter(first)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.ReuseRecord = true
	t := &csvTable{r: cr}
	if c, ok := r.(io.Closer); ok {
		t.c = c
	}
	h, _, err := t.Next()
	if err == io.EOF {
		return nil, errors.New("the file is empty: it needs a header row and at least one data row")
	} else if err != nil {
		return nil, err
	}
	t.header = append([]string(nil), h...)
	return t, nil
}

func sniffDelimiter(line []byte) rune {
	best, n := ',', -1
	for _, d := range []rune{',', ';', '\t'} {
		if c := countOutsideQuotes(line, byte(d)); c > n {
			best, n = d, c
		}
	}
	return best
}

func countOutsideQuotes(line []byte, d byte) int {
	n, quoted := 0, false
	for _, c := range line {
		switch {
		case c == '"':
			quoted = !quoted
		case c == d && !quoted:
			n++
		}
	}
	return n
}

func (t *csvTable) Header() []string { return t.header }

func (t *csvTable) Next() ([]string, int, error) {
	for {
		rec, err := t.r.Read()
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, pe.StartLine, fmt.Errorf("line %d: %v: check the quotes on that line", pe.StartLine, pe.Err)
			}
			return nil, 0, err
		}
		line, _ := t.r.FieldPos(0)
		if blank(rec) {
			continue
		}
		for i, f := range rec {
			if !utf8.ValidString(f) {
				rec[i], _ = charmap.Windows1252.NewDecoder().String(f)
			}
		}
		return rec, line, nil
	}
}

func (t *csvTable) Close() error {
	if t.c != nil {
		return t.c.Close()
	}
	return nil
}

func blank(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

type xlsxTable struct {
	f      *excelize.File
	rows   *excelize.Rows
	c      io.Closer
	header []string
	line   int
}

// NewXLSX reads the first sheet of an XLSX workbook, streaming its rows. Cells are
// read raw (dates as serial numbers, numbers unformatted) so that a phone number
// never comes back as 3.00123E+09.
func NewXLSX(r io.Reader) (Table, error) {
	f, err := excelize.OpenReader(r)
	if err != nil {
		return nil, fmt.Errorf("not a readable XLSX workbook (%v): save it again from Excel or export it as CSV", err)
	}
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		f.Close()
		return nil, errors.New("the workbook has no sheets")
	}
	rows, err := f.Rows(sheets[0])
	if err != nil {
		f.Close()
		return nil, err
	}
	t := &xlsxTable{f: f, rows: rows}
	if c, ok := r.(io.Closer); ok {
		t.c = c
	}
	h, _, err := t.Next()
	if err == io.EOF {
		t.Close()
		return nil, fmt.Errorf("sheet %q is empty: it needs a header row and at least one data row", sheets[0])
	} else if err != nil {
		t.Close()
		return nil, err
	}
	t.header = append([]string(nil), h...)
	return t, nil
}

func (t *xlsxTable) Header() []string { return t.header }

func (t *xlsxTable) Next() ([]string, int, error) {
	for t.rows.Next() {
		t.line++
		rec, err := t.rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return nil, t.line, fmt.Errorf("row %d: %w", t.line, err)
		}
		if blank(rec) {
			continue
		}
		return rec, t.line, nil
	}
	if err := t.rows.Error(); err != nil {
		return nil, t.line, err
	}
	return nil, t.line, io.EOF
}

func (t *xlsxTable) Close() error {
	err := errors.Join(t.rows.Close(), t.f.Close())
	if t.c != nil {
		err = errors.Join(err, t.c.Close())
	}
	return err
}
