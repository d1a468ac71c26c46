package console

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"

	"acuerdo"
	"acuerdo/hooks"
	"acuerdo/store"
	"acuerdo/web/internal/httpx"
)

// consoleEventsLimit is how many recent deliveries the events page lists.
const consoleEventsLimit = 100

// receiverView is one receiver of an event: acknowledged it, or the one its
// last attempt failed on.
type receiverView struct {
	URL string
	OK  bool
}

type eventRow struct {
	EventID, Type, State, StateLabel string
	StateClass                       string
	DebtorID                         int64
	Debtor                           string
	Attempts                         int
	LastAttempt, Created             string
	LastStatus                       int
	LastError                        string
	Receivers                        []receiverView
	Redeliverable                    bool
}

type eventsData struct {
	Pending, Failed int
	Rows            []eventRow
	States          []option
	State           string
	Failing         bool
	Query           string // the filter's query string, kept across a redelivery
}

// eventStateClass reuses the console's state badges: green delivered, red
// given up, blue waiting.
var eventStateClass = map[string]string{
	store.EventPending:   "state-COMPLETO",
	store.EventDelivered: "state-RESUELTO",
	store.EventFailed:    "state-VENCIDO",
}

// consoleEvents lists recent webhook events and how their delivery went: the
// backlog, each event's attempts, last error and receivers, and a button to
// send again one that was given up on. Admins only.
func (s *Server) consoleEvents(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	f := store.EventFilter{State: q.Get("state"), Failing: q.Get("failing") == "1", Limit: consoleEventsLimit}
	switch f.State {
	case "", store.EventPending, store.EventDelivered, store.EventFailed:
	default:
		f.State = ""
	}
	pending, failed, err := s.cfg.Store.EventBacklog(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	evs, err := s.cfg.Store.EventDeliveries(ctx, f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ids := make([]int64, 0, len(evs))
	for _, e := range evs {
		ids = append(ids, e.ID)
	}
	acked, err := s.cfg.Store.EventDeliveredTo(ctx, ids)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := s.newPage(w, r, "events", "event_deliveries", nil)
	d := eventsData{Pending: pending, Failed: failed, State: f.State, Failing: f.Failing,
		States: []option{{Value: "", Label: p.T["filter_all"]}}}
	for _, st := range []string{store.EventPending, store.EventDelivered, store.EventFailed} {
		d.States = append(d.States, option{Value: st, Label: p.T["event_state_"+st]})
	}
	keep := url.Values{}
	if f.State != "" {
		keep.Set("state", f.State)
	}
	if f.Failing {
		keep.Set("failing", "1")
	}
	d.Query = keep.Encode()
	names := map[int64]string{}
	loc := s.cfg.Options.Location
	for _, e := range evs {
		row := eventRow{EventID: e.EventID, Type: e.Type, State: e.State, StateLabel: p.T["event_state_"+e.State], StateClass: eventStateClass[e.State],
			DebtorID: e.DebtorID, Attempts: e.Attempts, LastStatus: e.LastStatus, LastError: e.LastError,
			Created: e.CreatedAt.In(loc).Format("2006-01-02 15:04"), Redeliverable: e.State == store.EventFailed}
		if row.StateLabel == "" {
			row.StateLabel = e.State
		}
		if e.LastAttemptAt != nil {
			row.LastAttempt = e.LastAttemptAt.In(loc).Format("2006-01-02 15:04:05")
		}
		if e.DebtorID != 0 {
			name, ok := names[e.DebtorID]
			if !ok {
				// A debtor erased since keeps their id on the event, not a name.
				if dbt, err := s.cfg.Store.DebtorByID(ctx, e.DebtorID); err == nil {
					name = dbt.Name
				} else if acuerdo.ErrorCode(err) != acuerdo.ENOTFOUND {
					s.fail(w, r, err)
					return
				}
				names[e.DebtorID] = name
			}
			row.Debtor = name
		}
		var seen []string
		for _, u := range acked[e.ID] {
			u = hooks.RedactURL(u)
			if !slices.Contains(seen, u) {
				seen = append(seen, u)
				row.Receivers = append(row.Receivers, receiverView{URL: u, OK: true})
			}
		}
		if u := hooks.FailedReceiver(e.LastError); u != "" && e.State != store.EventDelivered && !slices.Contains(seen, u) {
			row.Receivers = append(row.Receivers, receiverView{URL: u})
		}
		d.Rows = append(d.Rows, row)
	}
	p.Data = d
	s.renderConsole(w, http.StatusOK, "events", p)
}

// consoleEventRedeliver puts an event that was given up on back in the
// outbox, from its first attempt, as POST /api/v1/events/{id}/redeliver does,
// with an admin audit line naming who did it.
func (s *Server) consoleEventRedeliver(w http.ResponseWriter, r *http.Request) {
	si := signedInFrom(r)
	id := httpx.PathParam(r, "id")
	self := "/console/events"
	if q := r.PostFormValue("query"); q != "" {
		if v, err := url.ParseQuery(q); err == nil {
			keep := url.Values{}
			if st := v.Get("state"); st == store.EventPending || st == store.EventDelivered || st == store.EventFailed {
				keep.Set("state", st)
			}
			if v.Get("failing") == "1" {
				keep.Set("failing", "1")
			}
			if len(keep) > 0 {
				self += "?" + keep.Encode()
			}
		}
	}
	entry := acuerdo.AuditEntry{Kind: acuerdo.AuditAdmin, Name: "event_redeliver", Outcome: acuerdo.Allowed, Rule: "console_admin",
		Detail: fmt.Sprintf("%s sent event %s again", userRef(si.user), id)}
	if err := s.cfg.Store.RedeliverEvent(r.Context(), id, entry); err != nil {
		if acuerdo.ErrorCode(err) == acuerdo.ECONFLICT {
			back(w, r, self, "err", "err_not_failed")
			return
		}
		s.fail(w, r, err)
		return
	}
	s.kickEvents()
	back(w, r, self, "ok", "ok_event_redelivered")
}

// kickEvents wakes the hooks sender after the console recorded something
// that emits webhook events.
func (s *Server) kickEvents() {
	if s.cfg.Events != nil {
		s.cfg.Events.Kick()
	}
}
