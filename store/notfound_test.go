package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"acuerdo"
	"acuerdo/store"
)

// missingID is an id no row of a fresh database has.
const missingID = 987654

// notCalled are the methods the sweep cannot call blindly: they block,
// end the database, or take no context.
var notCalled = map[string]bool{"Close": true, "Listen": true, "Dialect": true, "Notifies": true, "Now": true}

// TestNoErrNoRowsLeaves calls every exported method of *store.DB on an empty
// database with ids and keys that match nothing, and fails if any error
// wraps sql.ErrNoRows: callers above the store only know acuerdo's error
// codes, and a bare ErrNoRows would reach a user as an internal error (HTTP
// 500) instead of "not found". It runs on both backends (storetest.Main).
// The sweep is by reflection so that a method added later is covered too.
func TestNoErrNoRowsLeaves(t *testing.T) {
	db, _ := open(t)
	v := reflect.ValueOf(db)
	typ := v.Type()
	called := 0
	for i := 0; i < typ.NumMethod(); i++ {
		m := typ.Method(i)
		if notCalled[m.Name] {
			continue
		}
		ft := m.Type // receiver first
		if ft.NumIn() < 2 || ft.In(1) != reflect.TypeOf((*context.Context)(nil)).Elem() {
			continue
		}
		if ft.NumOut() == 0 || ft.Out(ft.NumOut()-1) != reflect.TypeOf((*error)(nil)).Elem() {
			continue
		}
		called++
		panicked, err := callMissing(v.Method(i), ft)
		if panicked != nil {
			t.Errorf("%s panicked on missing rows: %v", m.Name, panicked)
			continue
		}
		if errors.Is(err, sql.ErrNoRows) {
			t.Errorf("%s: sql.ErrNoRows left the store: %v (map it with notFound to acuerdo.ENOTFOUND)", m.Name, err)
		}
	}
	if called < 100 {
		t.Fatalf("only %d methods swept: the reflection no longer finds the store's methods", called)
	}
}

// callMissing calls method with a context and arguments naming nothing that
// exists, and returns its error (the last result).
func callMissing(method reflect.Value, ft reflect.Type) (panicked any, err error) {
	defer func() { panicked = recover() }()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	args := []reflect.Value{reflect.ValueOf(ctx)}
	n := ft.NumIn()
	if ft.IsVariadic() {
		n-- // no variadic arguments: the audit entries
	}
	for j := 2; j < n; j++ {
		args = append(args, missingValue(ft.In(j), "", 0))
	}
	out := method.Call(args)
	if e := out[len(out)-1]; !e.IsNil() {
		err = e.Interface().(error)
	}
	return nil, err
}

var (
	timeType  = reflect.TypeOf(time.Time{})
	dateType  = reflect.TypeOf(acuerdo.Date{})
	moneyType = reflect.TypeOf(acuerdo.Money{})
)

// missingValue builds a value of t that refers to nothing stored: ids are
// missingID, names and keys "missing"; fields that must be well formed to get
// past validation (currencies, channels, phones, dates) are.
func missingValue(t reflect.Type, field string, depth int) reflect.Value {
	v := reflect.New(t).Elem()
	if depth > 4 {
		return v
	}
	switch t {
	case timeType:
		return reflect.ValueOf(time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC))
	case dateType:
		return reflect.ValueOf(acuerdo.Date{Year: 2026, Month: 12, Day: 1})
	case moneyType:
		return reflect.ValueOf(acuerdo.Money{Amount: 10000, Currency: "COP"})
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if t == reflect.TypeOf(time.Duration(0)) {
			v.SetInt(int64(time.Minute))
		} else {
			v.SetInt(missingID)
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(1)
	case reflect.Float32, reflect.Float64:
		v.SetFloat(0.5)
	case reflect.String:
		v.SetString(missingString(field))
	case reflect.Pointer:
		v.Set(reflect.New(t.Elem()))
		v.Elem().Set(missingValue(t.Elem(), field, depth+1))
	case reflect.Slice:
		v.Set(reflect.MakeSlice(t, 1, 1))
		v.Index(0).Set(missingValue(t.Elem(), field, depth+1))
	case reflect.Map:
		v.Set(reflect.MakeMap(t))
	case reflect.Func:
		v.Set(reflect.MakeFunc(t, func([]reflect.Value) []reflect.Value {
			out := make([]reflect.Value, t.NumOut())
			for i := range out {
				out[i] = reflect.Zero(t.Out(i))
			}
			return out
		}))
	case reflect.Struct:
		for i := 0; i < t.NumField(); i++ {
			if f := t.Field(i); f.IsExported() {
				v.Field(i).Set(missingValue(f.Type, f.Name, depth+1))
			}
		}
	}
	return v
}

func missingString(field string) string {
	switch strings.ToLower(field) {
	case "currency":
		return "COP"
	case "channel":
		return acuerdo.ChannelWhatsApp
	case "phone":
		return "+573009998877"
	case "locale":
		return "es"
	case "country":
		return "CO"
	case "email":
		return "missing@example.com"
	}
	return "missing"
}

// TestLookupsSayNotFound: the methods that act on one row named by the
// caller answer ENOTFOUND, with a message naming it, when there is no such
// row, on both backends.
func TestLookupsSayNotFound(t *testing.T) {
	db, _ := open(t)
	ctx := context.Background()
	const id = missingID
	out := store.Outgoing{Body: "hola"}
	cases := []struct {
		name string
		call func() error
	}{
		{"CaseByID", func() error { _, err := db.CaseByID(ctx, id); return err }},
		{"ConversationByID", func() error { _, err := db.ConversationByID(ctx, id); return err }},
		{"DebtorByID", func() error { _, err := db.DebtorByID(ctx, id); return err }},
		{"DebtorByPhone", func() error { _, err := db.DebtorByPhone(ctx, "+573009998877"); return err }},
		{"AccountByRef", func() error { _, err := db.AccountByRef(ctx, "missing"); return err }},
		{"Plan", func() error { _, err := db.Plan(ctx, id); return err }},
		{"AcceptPlan", func() error { _, err := db.AcceptPlan(ctx, id); return err }},
		{"UserByID", func() error { _, err := db.UserByID(ctx, id); return err }},
		{"UserByEmail", func() error { _, err := db.UserByEmail(ctx, "missing@example.com"); return err }},
		{"EventPayload", func() error { _, err := db.EventPayload(ctx, "missing"); return err }},
		{"RedeliverEvent", func() error { return db.RedeliverEvent(ctx, "missing") }},
		{"ExperimentByName", func() error { _, err := db.ExperimentByName(ctx, "missing"); return err }},
		{"ExperimentFunnel", func() error { _, err := db.ExperimentFunnel(ctx, "missing", time.Now()); return err }},
		{"MediaByID", func() error { _, err := db.MediaByID(ctx, id, id); return err }},
		{"ExportDebtor", func() error { _, err := db.ExportDebtor(ctx, id); return err }},
		{"MessageConversation", func() error { _, err := db.MessageConversation(ctx, "missing"); return err }},
		{"MessageStatus", func() error { _, _, err := db.MessageStatus(ctx, "missing"); return err }},
		{"Consent", func() error { _, err := db.Consent(ctx, id); return err }},
		{"RevokeAPIKey", func() error { _, err := db.RevokeAPIKey(ctx, "missing"); return err }},
		{"OpenCase", func() error {
			_, err := db.OpenCase(ctx, acuerdo.Case{ConversationID: id, DebtorID: id, Reason: acuerdo.ReasonOther, Summary: "x"})
			return err
		}},
		{"Enqueue", func() error { return db.Enqueue(ctx, id, []store.Outgoing{out}) }},
		{"CloseConversation", func() error { return db.CloseConversation(ctx, id, "adiós", "¿1–5?") }},
		{"Nudge", func() error { return db.Nudge(ctx, id, "¿sigues ahí?", false) }},
		{"MarkUnreachable", func() error { return db.MarkUnreachable(ctx, id, "invalid", "63024") }},
		{"OptOut", func() error { return db.OptOut(ctx, id, id) }},
		{"ClaimCase", func() error { return db.ClaimCase(ctx, id, id, false) }},
		{"TransferCase", func() error { return db.TransferCase(ctx, id, id) }},
		{"HandBack", func() error { return db.HandBack(ctx, id) }},
		{"CloseCase", func() error { return db.CloseCase(ctx, id, acuerdo.CaseResolved, nil, "paid") }},
		{"UpdateUser", func() error { _, err := db.UpdateUser(ctx, id, store.UserChange{}); return err }},
		{"DeleteCanned", func() error { return db.DeleteCanned(ctx, id) }},
		// Writes that only reference the missing row: the database's foreign
		// key says so, and constraintError makes it ENOTFOUND.
		{"AddLabel", func() error { return db.AddLabel(ctx, id, "urgente") }},
		{"CreatePromise", func() error {
			_, err := db.CreatePromise(ctx, acuerdo.Promise{AccountID: id, Amount: acuerdo.Money{Amount: 100, Currency: "COP"}, DueDate: acuerdo.Date{Year: 2026, Month: 12, Day: 1}})
			return err
		}},
		{"OfferPlan", func() error {
			_, err := db.OfferPlan(ctx, acuerdo.Plan{AccountID: id, Total: acuerdo.Money{Amount: 100, Currency: "COP"}})
			return err
		}},
		{"MarkRead", func() error { return db.MarkRead(ctx, id, id) }},
		{"StartSession", func() error { return db.StartSession(ctx, store.Session{TokenHash: "missing", UserID: id}) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.call()
			if errors.Is(err, sql.ErrNoRows) {
				t.Fatalf("sql.ErrNoRows left the store: %v", err)
			}
			if code := acuerdo.ErrorCode(err); code != acuerdo.ENOTFOUND {
				t.Fatalf("error code %q (%v), want %q", code, err, acuerdo.ENOTFOUND)
			}
			if msg := acuerdo.ErrorMessage(err); !strings.Contains(msg, fmt.Sprint(id)) && !strings.Contains(msg, "missing") && !strings.Contains(msg, "+57") && !strings.Contains(msg, "does not exist") {
				t.Errorf("%v does not say what is missing", err)
			}
		})
	}
}
