package console

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"acuerdo"
	"acuerdo/store"
)

type userRow struct {
	ID                       int64
	Name, Email, Phone, Role string
	RoleLabel, LastLogin     string
	Disabled, Self           bool
}

type usersData struct {
	Users []userRow
	Edit  *userRow
	Roles []option
	Form  struct{ Name, Email, Phone, Role string }
}

func (s *Server) userRows(t map[string]string, users []store.User, me int64) []userRow {
	out := make([]userRow, 0, len(users))
	for _, u := range users {
		row := userRow{ID: u.ID, Name: u.Name, Email: u.Email, Phone: u.Phone, Role: u.Role, RoleLabel: t["role_"+u.Role], Disabled: u.Disabled, Self: u.ID == me}
		if u.LastLoginAt != nil {
			row.LastLogin = u.LastLoginAt.In(s.cfg.Options.Location).Format("2006-01-02 15:04")
		}
		out = append(out, row)
	}
	return out
}

func (s *Server) usersPage(w http.ResponseWriter, r *http.Request, status int, problem string, form map[string]string) {
	si := signedInFrom(r)
	users, err := s.cfg.Store.Users(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := s.newPage(w, r, "users", "users", nil)
	d := usersData{Users: s.userRows(p.T, users, si.user.ID), Roles: []option{{Value: store.RoleOperator, Label: p.T["role_operator"]}, {Value: store.RoleAdmin, Label: p.T["role_admin"]}}}
	d.Form.Name, d.Form.Email, d.Form.Phone, d.Form.Role = form["name"], form["email"], form["phone"], form["role"]
	if problem != "" {
		p.Problem = problem
	}
	p.Data = d
	s.renderConsole(w, status, "users", p)
}

func (s *Server) consoleUsers(w http.ResponseWriter, r *http.Request) {
	s.usersPage(w, r, http.StatusOK, "", nil)
}

func (s *Server) consoleUserCreate(w http.ResponseWriter, r *http.Request) {
	si := signedInFrom(r)
	t := consoleText[consoleLang(w, r)]
	form := map[string]string{"name": strings.TrimSpace(r.PostFormValue("name")), "email": strings.TrimSpace(r.PostFormValue("email")),
		"phone": strings.TrimSpace(r.PostFormValue("phone")), "role": r.PostFormValue("role")}
	email, err := store.NormalizeEmail(form["email"])
	if err != nil {
		s.usersPage(w, r, http.StatusBadRequest, t["err_email"], form)
		return
	}
	if !store.ValidRole(form["role"]) {
		s.usersPage(w, r, http.StatusBadRequest, t["err_role"], form)
		return
	}
	hash, err := s.hashPassword(r.PostFormValue("password"))
	if err != nil {
		s.usersPage(w, r, http.StatusBadRequest, fmt.Sprintf(t["err_password"], store.MinPasswordLength), form)
		return
	}
	entry := acuerdo.AuditEntry{Kind: acuerdo.AuditAdmin, Name: "user_create", Outcome: acuerdo.Allowed, Rule: "console_admin",
		Detail: fmt.Sprintf("%s created %s as %s", userRef(si.user), email, form["role"])}
	_, err = s.cfg.Store.CreateUser(r.Context(), store.User{Email: email, Name: form["name"], Phone: form["phone"], Role: form["role"], PasswordHash: hash}, entry)
	if acuerdo.ErrorCode(err) == acuerdo.ECONFLICT {
		s.usersPage(w, r, http.StatusConflict, t["err_email_taken"], form)
		return
	} else if err != nil {
		s.fail(w, r, err)
		return
	}
	back(w, r, "/console/users", "ok", "ok_user_created")
}

func (s *Server) consoleUser(w http.ResponseWriter, r *http.Request) {
	si := signedInFrom(r)
	id, err := caseID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	u, err := s.cfg.Store.UserByID(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p := s.newPage(w, r, "users", "edit_user", nil)
	rows := s.userRows(p.T, []store.User{u}, si.user.ID)
	d := usersData{Edit: &rows[0], Roles: []option{{Value: store.RoleOperator, Label: p.T["role_operator"]}, {Value: store.RoleAdmin, Label: p.T["role_admin"]}}}
	p.Title = p.T["edit_user"] + " · " + u.Email
	p.Data = d
	s.renderConsole(w, http.StatusOK, "user", p)
}

// consoleUserUpdate edits a user: name, phone, role, enabled, and optionally a
// new password. Disabling a user or changing their role or password ends
// their sessions at once.
func (s *Server) consoleUserUpdate(w http.ResponseWriter, r *http.Request) {
	si := signedInFrom(r)
	id, err := caseID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	self := "/console/users/" + strconv.FormatInt(id, 10)
	name, phone, role := strings.TrimSpace(r.PostFormValue("name")), strings.TrimSpace(r.PostFormValue("phone")), r.PostFormValue("role")
	if !store.ValidRole(role) {
		back(w, r, self, "err", "err_role")
		return
	}
	disabled := r.PostFormValue("disabled") == "1"
	c := store.UserChange{Name: &name, Phone: &phone, Role: &role, Disabled: &disabled}
	changes := []string{"role " + role}
	if disabled {
		changes = append(changes, "disabled")
	} else {
		changes = append(changes, "enabled")
	}
	if pw := r.PostFormValue("password"); pw != "" {
		hash, err := s.hashPassword(pw)
		if err != nil {
			back(w, r, self, "err", "err_password_short")
			return
		}
		c.PasswordHash = &hash
		changes = append(changes, "new password")
	}
	entry := acuerdo.AuditEntry{Kind: acuerdo.AuditAdmin, Name: "user_update", Outcome: acuerdo.Allowed, Rule: "console_admin",
		Detail: fmt.Sprintf("%s changed user %d: %s", userRef(si.user), id, strings.Join(changes, ", "))}
	if _, err := s.cfg.Store.UpdateUser(r.Context(), id, c, entry); err != nil {
		if acuerdo.ErrorCode(err) == acuerdo.ECONFLICT {
			back(w, r, self, "err", "err_last_admin")
			return
		}
		s.fail(w, r, err)
		return
	}
	if id == si.user.ID && (disabled || role != si.user.Role || c.PasswordHash != nil) {
		// Their own session just ended with the change.
		http.Redirect(w, r, "/console/login", http.StatusSeeOther)
		return
	}
	back(w, r, "/console/users", "ok", "ok_user_saved")
}
