package api

import (
	"encoding/json"
	"strconv"
	"testing"
	"unicode/utf8"

	"acuerdo/importer"
)

// FuzzDecodeItem feeds arbitrary JSON to the batch item decoder and the
// importer's validation behind it: nothing may panic, every error names its
// item, and what is accepted is only known fields of the right kind.
func FuzzDecodeItem(f *testing.F) {
	for _, s := range []string{
		`{"account_ref":"CR-1","phone":"+573001234567","name":"Ana","balance":"850000.07","days_past_due":12,"consent":true}`,
		`{"account_ref":"CR-1","phone":"3001234567","name":"x","days_past_due":"3","colour":1}`,
		`{"balance":1500.5,"consent":"yes","due_date":null}`, `42`, `null`, `[]`, `{"name":"\u0000"}`, `{"days_past_due":1e400}`,
		`{"external_id":"P1","account_ref":"CR-1","amount":"10","paid_at":"2026-03-02T10:00:00Z"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		for _, fields := range []map[string]fieldKind{debtorFields, paymentFields} {
			vals, errs := decodeItem(7, json.RawMessage(raw), fields)
			for _, e := range errs {
				if e.Index != 7 || e.Message == "" {
					t.Fatalf("error %+v does not name item 7 or says nothing", e)
				}
			}
			if errs != nil {
				continue
			}
			for k, v := range vals {
				kind, ok := fields[k]
				if !ok {
					t.Fatalf("unknown field %q accepted", k)
				}
				if !utf8.ValidString(v) || len(v) > maxFieldLen {
					t.Fatalf("field %q: invalid or long text accepted", k)
				}
				switch kind {
				case kInt:
					if _, err := strconv.Atoi(v); err != nil {
						t.Fatalf("field %q: %q accepted as a whole number", k, v)
					}
				case kBool:
					if v != "true" && v != "false" {
						t.Fatalf("field %q: %q accepted as a boolean", k, v)
					}
				}
			}
			if len(fields) == len(debtorFields) {
				row, rerrs := importer.Record(vals, importer.Options{Strict: true})
				if rerrs == nil && (row.Debtor.Phone == "" || row.Account.Ref == "" || row.Debtor.Name == "") {
					t.Fatalf("valid record without phone, account or name: %+v", row)
				}
			}
		}
	})
}
