package pilot

import (
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"acuerdo/experiments"
)

// Tables are the exports a report writes, in the order they are listed
// (DESIGN §5): each is written as TABLE.csv.
var Tables = []string{"assignments", "debtor_outcomes", "payments", "messages", "llm_calls", "results"}

// Export headers (DESIGN §5): snake_case, UTC times, money in minor units plus currency.
var (
	AssignmentsHeader = []string{"experiment", "debtor_id", "arm", "bucket", "stratum", "assigned_at", "launched_at"}
	OutcomesHeader    = []string{"experiment", "debtor_id", "arm", "stratum", "assigned_at", "follow_up_days", "days_past_due", "currency",
		"placed_minor", "prior_payments_minor", "collected_d30_minor", "collected_d60_minor", "collected_d90_minor", "collected_minor",
		"paid", "first_payment_day", "llm_cost_usd", "template_messages", "template_cost_usd", "operator_cases", "operator_messages",
		"operator_minutes", "operator_cost_usd", "cost_usd", "cost_minor"}
	PaymentsHeader = []string{"experiment", "debtor_id", "arm", "account_ref", "paid_at", "day", "amount_minor", "currency", "method", "observed"}
	// The messages export has no text: it is personal data, and analysts need
	// the shape of the conversation (who, when, what status), not its words.
	MessagesHeader = []string{"experiment", "debtor_id", "arm", "message_id", "sent_at", "day", "direction", "author", "status", "error_code",
		"template", "template_sent", "chars"}
	LLMCallsHeader = []string{"experiment", "debtor_id", "arm", "called_at", "day", "model", "provider", "outcome", "prompt_tokens",
		"completion_tokens", "cached_tokens", "latency_ms", "cost_usd"}
)

// ErrNoTable is WriteTable's answer to a name not in Tables.
var ErrNoTable = fmt.Errorf("no such export: want one of %v", Tables)

func utc(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// WriteResultsCSV writes the results table with experiments.Columns.
func WriteResultsCSV(w io.Writer, rs []experiments.Result) error {
	cw := csv.NewWriter(w)
	cw.Write(experiments.Columns)
	for _, r := range rs {
		cw.Write(r.Record())
	}
	cw.Flush()
	return cw.Error()
}

// WriteTable writes one export, named as in Tables, as CSV.
func (r *Report) WriteTable(out io.Writer, table string) error {
	w := csv.NewWriter(out)
	d, c := r.Data, r.Cohort
	name, cur := d.Name, d.Currency
	switch table {
	case "assignments":
		w.Write(AssignmentsHeader)
		for _, row := range d.Rows {
			launched := ""
			if row.LaunchedAt != nil {
				launched = utc(*row.LaunchedAt)
			}
			w.Write([]string{name, itoa(row.DebtorID), row.Arm, strconv.Itoa(row.Bucket), row.Stratum, utc(row.AssignedAt), launched})
		}
	case "debtor_outcomes":
		w.Write(OutcomesHeader)
		by := [3][]float64{experiments.CollectedBy(c, r.Payments, 30), experiments.CollectedBy(c, r.Payments, 60), experiments.CollectedBy(c, r.Payments, 90)}
		all := experiments.CollectedBy(c, r.Payments, 0)
		first, paid := experiments.TimeToFirstPayment(c, r.Payments)
		for i, row := range d.Rows {
			placed, fp := "", ""
			if row.Placed >= 0 {
				placed = itoa(row.Placed)
			}
			if paid[i] {
				fp = strconv.Itoa(int(first[i]))
			}
			w.Write([]string{name, itoa(row.DebtorID), row.Arm, row.Stratum, utc(row.AssignedAt), strconv.Itoa(int(c.FollowUp[i])),
				strconv.Itoa(row.DaysPastDue), cur, placed, itoa(row.Prior), ftoa(by[0][i]), ftoa(by[1][i]), ftoa(by[2][i]), ftoa(all[i]),
				strconv.FormatBool(paid[i]), fp, usd(row.CostUSD), strconv.Itoa(r.Costs[i].TemplateMessages), usd(r.Costs[i].TemplateUSD),
				strconv.Itoa(r.Costs[i].OperatorCases), strconv.Itoa(r.Costs[i].OperatorMessages), usd(r.Costs[i].OperatorMinutes),
				usd(r.Costs[i].OperatorUSD), usd(r.Costs[i].Total()), ftoa(c.Cost[i])})
		}
	case "payments":
		w.Write(PaymentsHeader)
		for k, p := range d.Payments {
			row := d.Rows[p.Row]
			pd := r.Payments.Day[k]
			w.Write([]string{name, itoa(row.DebtorID), row.Arm, p.AccountRef, utc(p.PaidAt), strconv.Itoa(int(pd)), itoa(p.Amount), cur,
				p.Method, strconv.FormatBool(pd <= c.FollowUp[p.Row])})
		}
	case "messages":
		w.Write(MessagesHeader)
		for _, m := range d.Messages {
			row := d.Rows[m.Row]
			w.Write([]string{name, itoa(row.DebtorID), row.Arm, itoa(m.ID), utc(m.At), strconv.Itoa(paymentDay(row.AssignedAt, m.At)),
				m.Direction, m.Author, m.Status, m.ErrorCode, m.Template, strconv.FormatBool(m.TemplateID != ""), strconv.Itoa(m.Chars)})
		}
	case "llm_calls":
		w.Write(LLMCallsHeader)
		for _, l := range d.LLMCalls {
			row := d.Rows[l.Row]
			cost := ""
			if l.Priced {
				cost = usd(l.CostUSD)
			}
			w.Write([]string{name, itoa(row.DebtorID), row.Arm, utc(l.At), strconv.Itoa(paymentDay(row.AssignedAt, l.At)), l.Model, l.Provider,
				l.Outcome, strconv.Itoa(l.PromptTokens), strconv.Itoa(l.CompletionTokens), strconv.Itoa(l.CachedTokens),
				strconv.Itoa(l.LatencyMS), cost})
		}
	case "results":
		w.Write(experiments.Columns)
		for _, x := range r.Results {
			w.Write(x.Record())
		}
	default:
		return ErrNoTable
	}
	w.Flush()
	return w.Error()
}

// WriteExports writes every table to DIR/TABLE.csv; each is written whole to a
// temporary name and renamed, so a reader never sees half a file.
func (r *Report) WriteExports(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, table := range Tables {
		path := filepath.Join(dir, table+".csv")
		f, err := os.Create(path + ".tmp")
		if err != nil {
			return err
		}
		err = r.WriteTable(f, table)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Rename(path+".tmp", path)
		}
		if err != nil {
			return fmt.Errorf("export %s.csv: %w", table, err)
		}
	}
	return nil
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// usd renders dollars (or minutes) with the precision they carry, no exponent.
func usd(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// ftoa renders a sum of minor units, which is integral, without an exponent.
func ftoa(f float64) string { return strconv.FormatFloat(f, 'f', 0, 64) }
