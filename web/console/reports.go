package console

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"time"

	"acuerdo"
	"acuerdo/store"
)

// reportSLA is the first-response target the reports count as met: a
// quarter of a case's 48-hour life, where the inbox's badge turns amber.
const reportSLA = store.CaseExpiry / 4

// reportRow is one operator's day.
type reportRow struct {
	Day, Operator      string
	Taken, Responded   int
	FirstResponse      string // median minutes from taking the case to the first message
	medianMin          float64
	SLAMet             int
	SLAPc              int
	Outcomes           map[string]int
	Useful, Rated      int
	OutcomeList        []option
	firstResponseTimes []float64
}

type reportData struct {
	From, To string
	Rows     []reportRow
	States   []option
	CSV      string
}

// reportRange reads ?from=&to= (dates, to inclusive), default the last 7 days.
func (s *Server) reportRange(r *http.Request) (from, to acuerdo.Date) {
	today := acuerdo.DateOf(s.consoleNow())
	from, to = today.AddDays(-6), today
	if d, err := acuerdo.ParseDate(r.URL.Query().Get("from")); err == nil {
		from = d
	}
	if d, err := acuerdo.ParseDate(r.URL.Query().Get("to")); err == nil {
		to = d
	}
	if to.Before(from) || from.AddDays(366).Before(to) {
		from, to = today.AddDays(-6), today
	}
	return from, to
}

// report gathers per operator and per day (in the team's time zone): cases
// taken, the median first-response time, the SLA met, outcomes by state and
// the escalations operators judged useful.
func (s *Server) report(r *http.Request, t map[string]string) (reportData, error) {
	from, to := s.reportRange(r)
	loc := s.cfg.Options.Location
	start := time.Date(from.Year, time.Month(from.Month), from.Day, 0, 0, 0, 0, loc)
	end := time.Date(to.Year, time.Month(to.Month), to.Day, 0, 0, 0, 0, loc).AddDate(0, 0, 1)
	work, err := s.cfg.Store.CasesWorked(r.Context(), start, end)
	if err != nil {
		return reportData{}, err
	}
	d := reportData{From: from.String(), To: to.String()}
	rows := map[string]*reportRow{}
	for _, w := range work {
		day := w.ClaimedAt.In(loc).Format("2006-01-02")
		key := day + "\x00" + strconv.FormatInt(w.AssigneeID, 10)
		row := rows[key]
		if row == nil {
			row = &reportRow{Day: day, Operator: w.Assignee, Outcomes: map[string]int{}}
			rows[key] = row
		}
		row.Taken++
		if w.FirstResponse != nil {
			row.Responded++
			row.firstResponseTimes = append(row.firstResponseTimes, w.FirstResponse.Sub(w.ClaimedAt).Minutes())
			if w.FirstResponse.Sub(w.CreatedAt) <= reportSLA {
				row.SLAMet++
			}
		}
		if acuerdo.CaseClosed(w.State) {
			row.Outcomes[w.State]++
		}
		if w.Useful != nil {
			row.Rated++
			if *w.Useful {
				row.Useful++
			}
		}
	}
	for _, st := range store.ClosedStates {
		d.States = append(d.States, option{Value: st, Label: stateLabel(t, st)})
	}
	for _, row := range rows {
		row.FirstResponse = "–"
		if n := len(row.firstResponseTimes); n > 0 {
			sort.Float64s(row.firstResponseTimes)
			m := row.firstResponseTimes[n/2]
			if n%2 == 0 {
				m = (row.firstResponseTimes[n/2-1] + m) / 2
			}
			row.medianMin = m
			row.FirstResponse = fmt.Sprintf("%.0f min", m)
		}
		row.SLAPc = 100 * row.SLAMet / row.Taken
		for _, st := range d.States {
			row.OutcomeList = append(row.OutcomeList, option{Value: st.Value, Label: st.Label, Count: row.Outcomes[st.Value]})
		}
		d.Rows = append(d.Rows, *row)
	}
	sort.Slice(d.Rows, func(i, j int) bool {
		if d.Rows[i].Day != d.Rows[j].Day {
			return d.Rows[i].Day > d.Rows[j].Day
		}
		return d.Rows[i].Operator < d.Rows[j].Operator
	})
	d.CSV = "/console/reports.csv?from=" + d.From + "&to=" + d.To
	return d, nil
}

func (s *Server) consoleReports(w http.ResponseWriter, r *http.Request) {
	p := s.newPage(w, r, "reports", "reports", nil)
	d, err := s.report(r, p.T)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p.Data = d
	s.renderConsole(w, http.StatusOK, "reports", p)
}

// consoleReportsCSV is the report as CSV, column names in the user's language.
func (s *Server) consoleReportsCSV(w http.ResponseWriter, r *http.Request) {
	lang := consoleLang(w, r)
	t := consoleText[lang]
	d, err := s.report(r, t)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Cache-Control", "private, no-store")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="report-%s-%s.csv"`, d.From, d.To))
	cw := csv.NewWriter(w)
	head := []string{t["day"], t["operator"], t["rep_taken"], t["rep_responded"], t["rep_first_response_min"], t["rep_sla_met"], t["rep_sla_pc"]}
	for _, st := range d.States {
		head = append(head, st.Label)
	}
	head = append(head, t["rep_useful"], t["rep_rated"])
	_ = cw.Write(head)
	for _, row := range d.Rows {
		rec := []string{row.Day, csvSafe(row.Operator), strconv.Itoa(row.Taken), strconv.Itoa(row.Responded), "", strconv.Itoa(row.SLAMet), strconv.Itoa(row.SLAPc)}
		if row.Responded > 0 {
			rec[4] = strconv.FormatFloat(row.medianMin, 'f', 1, 64)
		}
		for _, o := range row.OutcomeList {
			rec = append(rec, strconv.Itoa(o.Count))
		}
		rec = append(rec, strconv.Itoa(row.Useful), strconv.Itoa(row.Rated))
		_ = cw.Write(rec)
	}
	cw.Flush()
}
