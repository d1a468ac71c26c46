package demo

import (
	"context"
	"fmt"
	"io"

	"acuerdo/importer"
	"acuerdo/store"
)

// Seed imports n generated debtors into db through the importer, exactly as a
// creditor's CSV file would arrive, marked synthetic.
func Seed(ctx context.Context, db *store.DB, g *Generator, n int) (importer.Summary, error) {
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(WriteCSV(pw, g, n)) }()
	defer pr.Close()
	t, err := importer.NewCSV(pr)
	if err != nil {
		return importer.Summary{}, err
	}
	sum, err := importer.Portfolio(ctx, db, t, importer.Options{Country: "CO", Synthetic: true})
	if err == nil && sum.Rejected > 0 {
		// The generator must only make valid rows; a rejection here is a bug.
		err = fmt.Errorf("demo portfolio rejected: %v", sum.Errors[0])
	}
	return sum, err
}
