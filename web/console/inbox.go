package console

import (
	"net/http"
	"sort"
	"strconv"
	"strings"

	"acuerdo"
	"acuerdo/store"
	"acuerdo/web/internal/httpx"
)

// colleague is a user a case can be transferred to.
type colleague struct {
	ID   int64
	Name string
}

// colleagues are the enabled users other than me, by name.
func (s *Server) colleagues(r *http.Request, me int64) ([]colleague, error) {
	us, err := s.cfg.Store.Users(r.Context())
	if err != nil {
		return nil, err
	}
	var out []colleague
	for _, u := range us {
		if u.Disabled || u.ID == me {
			continue
		}
		name := u.Name
		if name == "" {
			name = u.Email
		}
		out = append(out, colleague{u.ID, name})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// consoleTransfer gives the case to a colleague: its holder may, an admin
// may, and anyone may assign a case nobody holds.
func (s *Server) consoleTransfer(w http.ResponseWriter, r *http.Request) {
	si, v, ok := s.caseToAct(w, r)
	if !ok {
		return
	}
	to, err := strconv.ParseInt(r.PostFormValue("user_id"), 10, 64)
	if err != nil || to <= 0 {
		back(w, r, casePath(v.ID), "err", "err_colleague")
		return
	}
	entry := staffEntry(si, v, "case_transfer", "to user "+strconv.FormatInt(to, 10))
	if err := s.cfg.Store.TransferCase(r.Context(), v.ID, to, entry); err != nil {
		switch acuerdo.ErrorCode(err) {
		case acuerdo.ECONFLICT:
			back(w, r, casePath(v.ID), "err", "err_closed")
		case acuerdo.EINVALID:
			back(w, r, casePath(v.ID), "err", "err_colleague")
		default:
			s.fail(w, r, err)
		}
		return
	}
	back(w, r, casePath(v.ID), "ok", "ok_transferred")
}

// consoleLabel adds a label to the case, or takes one off (remove=1).
func (s *Server) consoleLabel(w http.ResponseWriter, r *http.Request) {
	si, v, ok := s.caseToAct(w, r)
	if !ok {
		return
	}
	label := r.PostFormValue("label")
	var err error
	if r.PostFormValue("remove") == "1" {
		err = s.cfg.Store.RemoveLabel(r.Context(), v.ID, label, staffEntry(si, v, "case_unlabel", clipText(label, 30)))
	} else {
		l, ok := store.NormalizeLabel(label)
		if !ok {
			back(w, r, casePath(v.ID), "err", "err_label")
			return
		}
		err = s.cfg.Store.AddLabel(r.Context(), v.ID, l, staffEntry(si, v, "case_label", l))
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	back(w, r, casePath(v.ID), "ok", "ok_saved")
}

type cannedData struct {
	Rows  []store.Canned
	Langs []langLink
}

// consoleCanned lists the canned responses and a form to add one (admins).
func (s *Server) consoleCanned(w http.ResponseWriter, r *http.Request) {
	cs, err := s.cfg.Store.CannedResponses(r.Context(), "")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := s.newPage(w, r, "canned", "canned", nil)
	d := cannedData{Rows: cs}
	for _, l := range httpx.Langs {
		d.Langs = append(d.Langs, langLink{Code: l.Code, Name: l.Name, Current: l.Code == p.Lang})
	}
	p.Data = d
	s.renderConsole(w, http.StatusOK, "canned", p)
}

func (s *Server) consoleCannedSave(w http.ResponseWriter, r *http.Request) {
	si := signedInFrom(r)
	c := store.Canned{Locale: r.PostFormValue("locale"), Shortcut: r.PostFormValue("shortcut"), Body: strings.ReplaceAll(r.PostFormValue("body"), "\r\n", "\n")}
	entry := acuerdo.AuditEntry{Kind: acuerdo.AuditAdmin, Name: "canned_save", Outcome: acuerdo.Allowed, Rule: "console_admin",
		Detail: userRef(si.user) + " saved canned response /" + clipText(c.Shortcut, 30) + " (" + clipText(c.Locale, 5) + ")"}
	if _, err := s.cfg.Store.SaveCanned(r.Context(), c, entry); err != nil {
		if acuerdo.ErrorCode(err) == acuerdo.EINVALID {
			back(w, r, "/console/canned", "err", "err_canned")
			return
		}
		s.fail(w, r, err)
		return
	}
	back(w, r, "/console/canned", "ok", "ok_saved")
}

func (s *Server) consoleCannedDelete(w http.ResponseWriter, r *http.Request) {
	si := signedInFrom(r)
	id, err := caseID(r, "id")
	if err == nil {
		err = s.cfg.Store.DeleteCanned(r.Context(), id, acuerdo.AuditEntry{Kind: acuerdo.AuditAdmin, Name: "canned_delete", Outcome: acuerdo.Allowed,
			Rule: "console_admin", Detail: userRef(si.user) + " deleted canned response " + strconv.FormatInt(id, 10)})
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	back(w, r, "/console/canned", "ok", "ok_deleted")
}
