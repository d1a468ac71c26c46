package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// fieldKind is the JSON type an item field must have.
type fieldKind int

const (
	kString fieldKind = iota
	kInt
	kBool
)

// debtorFields are the fields of a debtor item; required ones are checked by
// the importer's validation, so that the API and files say the same.
var debtorFields = map[string]fieldKind{
	"account_ref": kString, "phone": kString, "name": kString, "balance": kString, "installment_amount": kString,
	"due_date": kString, "days_past_due": kInt, "document_id": kString, "email": kString, "currency": kString,
	"country": kString, "time_zone": kString, "consent": kBool, "segment": kString,
}

var paymentFields = map[string]fieldKind{
	"external_id": kString, "account_ref": kString, "amount": kString, "paid_at": kString, "method": kString,
}

// maxFieldLen bounds one text field: names and references are short, and a
// huge value is a mistake better refused than stored.
const maxFieldLen = 500

// decodeItem reads one batch item strictly: a JSON object whose fields are
// all known and of their type. Values come back as text, the form the
// importer's validation reads (numbers in decimal, booleans as true/false),
// so that a file and the API validate the same way. Every problem is
// reported, not only the first.
func decodeItem(index int, raw json.RawMessage, fields map[string]fieldKind) (map[string]string, []itemError) {
	var obj map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&obj); err != nil || obj == nil {
		return nil, []itemError{{Index: index, Message: "each item must be a JSON object"}}
	}
	out := make(map[string]string, len(obj))
	var errs []itemError
	bad := func(f, format string, args ...any) {
		errs = append(errs, itemError{Index: index, Field: f, Message: fmt.Sprintf(format, args...)})
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys) // errors in a stable order
	for _, k := range keys {
		v := obj[k]
		kind, ok := fields[k]
		if !ok {
			bad(k, "unknown field %q: see the item schema in /api/v1/openapi.json", k)
			continue
		}
		if string(v) == "null" {
			continue // the same as absent
		}
		switch kind {
		case kString:
			var s string
			if err := json.Unmarshal(v, &s); err != nil {
				bad(k, "must be a string (amounts too, like \"1500.50\")")
				continue
			}
			s = strings.TrimSpace(s)
			if len(s) > maxFieldLen || !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
				bad(k, "must be valid text of at most %d bytes", maxFieldLen)
				continue
			}
			out[k] = s
		case kInt:
			var n json.Number
			// json.Number would also take "3", a string; the API wants a number.
			if err := json.Unmarshal(v, &n); err != nil || bytes.HasPrefix(v, []byte{'"'}) {
				bad(k, "must be a whole number")
				continue
			}
			i, err := strconv.ParseInt(n.String(), 10, 64)
			if err != nil || i > math.MaxInt32 || i < math.MinInt32 {
				bad(k, "must be a whole number")
				continue
			}
			out[k] = strconv.FormatInt(i, 10)
		case kBool:
			var b bool
			if err := json.Unmarshal(v, &b); err != nil {
				bad(k, "must be true or false")
				continue
			}
			out[k] = strconv.FormatBool(b)
		}
	}
	return out, errs
}

// batchBody is the envelope of every batch: {"items": [...]}.
type batchBody struct {
	Items []json.RawMessage `json:"items"`
}
