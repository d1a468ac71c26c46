package api

import (
	"net/http"
	"strconv"

	"acuerdo/store"
	"acuerdo/web/internal/httpx"
)

// apiEvents lists recent webhook events and how their delivery went, newest
// first, so the creditor can see what reached them and what did not.
func (s *server) apiEvents(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := store.EventFilter{State: q.Get("state"), Limit: 50}
	switch f.State {
	case "", store.EventPending, store.EventDelivered, store.EventFailed:
	default:
		apiFail(w, r, http.StatusBadRequest, codeInvalid, "bad_state")
		return
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			apiFail(w, r, http.StatusBadRequest, codeInvalid, "bad_limit")
			return
		}
		f.Limit = n
	}
	evs, err := s.cfg.Store.EventDeliveries(r.Context(), f)
	if err != nil {
		s.apiInternal(w, r, "events", err)
		return
	}
	if evs == nil {
		evs = []store.EventDelivery{}
	}
	apiJSON(w, http.StatusOK, map[string]any{"events": evs})
}

// apiRedeliver sends a failed event again, from its first attempt.
func (s *server) apiRedeliver(w http.ResponseWriter, r *http.Request) {
	id := httpx.PathParam(r, "id")
	if err := s.cfg.Store.RedeliverEvent(r.Context(), id, apiAudit(r, "event_redeliver", id)); err != nil {
		s.apiStoreError(w, r, "redeliver", err)
		return
	}
	s.kickEvents()
	apiJSON(w, http.StatusAccepted, map[string]any{"id": id, "state": store.EventPending})
}
