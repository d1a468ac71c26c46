package importer

import (
	"acuerdo/store"
)

// RecordFields are the names a Record may use, one per portfolio field: the
// API's JSON names, which are also header aliases a file may use.
var RecordFields = []string{"account_ref", "phone", "name", "balance", "installment_amount", "due_date", "days_past_due",
	"document_id", "email", "currency", "country", "time_zone", "consent", "segment"}

// recordColumns maps RecordFields once; every name is an alias, so all map.
var recordColumns = func() columns {
	c, err := mapColumns(RecordFields, portfolioFields, nil, nil)
	if err != nil {
		panic(err)
	}
	return c
}()

// Record validates one debtor-and-account record given field by field (names
// from RecordFields, "" or absent for "not given") exactly as a row of a
// portfolio file is validated: same phone normalisation, amounts, dates and
// defaults. Errors carry the field's name in Column and Row 0; the caller
// knows where the record came from. Duplicate account references across
// records are the caller's to find, as they span records.
func Record(values map[string]string, opt Options) (store.PortfolioRow, []RowError) {
	v := &validator{cols: recordColumns, opt: opt, zones: map[string]error{}}
	rec := make([]string, len(RecordFields))
	for i, f := range RecordFields {
		rec[i] = values[f]
	}
	return v.row(rawRow{fields: rec})
}
