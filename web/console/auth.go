package console

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"path"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"acuerdo"
	"acuerdo/store"
)

const (
	// sessionCookie carries the session token. Path / so that the analysts'
	// dashboard can accept a signed-in console user too.
	sessionCookie = "acuerdo_session"
	// loginCookie carries the sign-in form's CSRF token before any session
	// exists (a double-submit token), so nobody can sign a browser in to
	// their own account from another site.
	loginCookie = "acuerdo_login"
)

type signedInKey struct{}

// signedIn is the request's user and session, set by consoleAuth.
type signedIn struct {
	user store.User
	sess store.Session
}

func signedInFrom(r *http.Request) *signedIn {
	si, _ := r.Context().Value(signedInKey{}).(*signedIn)
	return si
}

func randomToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func hashToken(tok string) string {
	sum := sha256.Sum256([]byte("acuerdo-session\x00" + tok))
	return hex.EncodeToString(sum[:])
}

func equalTokens(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// secure reports whether cookies must be Secure: the request came over TLS,
// directly or through a proxy that says so, or the public URL is https.
func (s *Server) secure(r *http.Request) bool {
	return r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" || strings.HasPrefix(s.cfg.PublicURL, "https://")
}

// errReplaced is session's answer when the user signed in on another device.
var errReplaced = errors.New("signed in on another device")

// SignedIn reports whether the request carries a live console session: the
// dashboard lets such a request in (analysts may sign in through the console).
func (s *Server) SignedIn(r *http.Request) bool {
	si, err := s.session(r)
	return err == nil && si != nil
}

// session looks the request's session up; nil when there is none or it ended
// (with errReplaced when the one-device rule ended it).
func (s *Server) session(r *http.Request) (*signedIn, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return nil, nil
	}
	sess, u, err := s.cfg.Store.SessionUser(r.Context(), hashToken(c.Value), s.cfg.Options.IdleTimeout)
	if errors.Is(err, store.ErrSessionReplaced) {
		return nil, errReplaced
	} else if acuerdo.ErrorCode(err) == acuerdo.EUNAUTHORIZED {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	return &signedIn{user: u, sess: sess}, nil
}

// consoleAuth lets signed-in users through and sends others to the sign-in
// page (pages) or answers 401 (everything else). Every POST must carry the
// session's CSRF token, as a form field or the X-CSRF-Token header.
func (s *Server) consoleAuth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		si, err := s.session(r)
		replaced := errors.Is(err, errReplaced)
		if err != nil && !replaced {
			s.fail(w, r, err)
			return
		}
		if si == nil {
			if r.Method == http.MethodGet && r.Header.Get("X-Requested-With") == "" {
				to := "/console/login?next=" + url.QueryEscape(r.URL.RequestURI())
				if replaced {
					// Say why: the one-device rule, not a fault.
					to += "&err=err_other_device"
				}
				http.Redirect(w, r, to, http.StatusSeeOther)
				return
			}
			if replaced {
				s.fail(w, r, acuerdo.Errorf(acuerdo.EUNAUTHORIZED, "you signed in on another device, which ended this session"))
				return
			}
			s.fail(w, r, acuerdo.Errorf(acuerdo.EUNAUTHORIZED, "sign in again"))
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			tok := r.Header.Get("X-CSRF-Token")
			if tok == "" {
				tok = r.PostFormValue("csrf")
			}
			if !equalTokens(tok, si.sess.CSRF) {
				p := s.newPage(w, r, "", "error", nil)
				p.Problem = p.T["err_csrf"]
				s.renderConsole(w, http.StatusForbidden, "error", p)
				return
			}
		}
		// Activity keeps the session alive; writing it once a minute is enough.
		if s.cfg.Clock().Sub(si.sess.LastSeenAt) > time.Minute {
			if err := s.cfg.Store.TouchSession(r.Context(), si.sess.TokenHash); err != nil {
				s.cfg.Logger.WarnContext(r.Context(), "console: touch session", "err", err)
			}
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), signedInKey{}, si)))
	})
}

// requireAdmin answers 403 to anyone but an admin: the server refuses, not
// only the menu that hides the link.
func (s *Server) requireAdmin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if si := signedInFrom(r); si == nil || !si.user.Admin() {
			s.fail(w, r, acuerdo.Errorf(acuerdo.EFORBIDDEN, "this page is for admins"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

type loginData struct {
	Email, Next, Token string
}

func (s *Server) consoleLoginPage(w http.ResponseWriter, r *http.Request) {
	if si, err := s.session(r); err == nil && si != nil {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	s.renderLogin(w, r, http.StatusOK, "", r.URL.Query().Get("next"), "")
}

func (s *Server) renderLogin(w http.ResponseWriter, r *http.Request, status int, email, next, problem string) {
	tok := randomToken()
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Value: tok, Path: "/console/login", HttpOnly: true, Secure: s.secure(r), SameSite: http.SameSiteStrictMode, MaxAge: 3600})
	p := s.newPage(w, r, "login", "sign_in", loginData{Email: email, Next: safeNext(next), Token: tok})
	if problem != "" {
		p.Problem = problem
	}
	s.renderConsole(w, status, "login", p)
}

// dummyHash is compared against when the email is unknown, so that a wrong
// email takes as long as a wrong password and reveals nothing: it is made
// once, at the cost new passwords get.
func (s *Server) dummyHash() []byte {
	s.dummyOnce.Do(func() {
		s.dummy, _ = bcrypt.GenerateFromPassword([]byte("acuerdo-no-such-user"), s.cfg.Options.BcryptCost)
	})
	return s.dummy
}

func (s *Server) consoleLogin(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	lang := consoleLang(w, r)
	t := consoleText[lang]
	email := strings.ToLower(strings.TrimSpace(r.PostFormValue("email")))
	password := r.PostFormValue("password")
	next := r.PostFormValue("next")
	c, err := r.Cookie(loginCookie)
	if err != nil || !equalTokens(r.PostFormValue("csrf"), c.Value) {
		s.renderLogin(w, r, http.StatusForbidden, email, next, t["err_csrf"])
		return
	}
	if email == "" || password == "" {
		s.renderLogin(w, r, http.StatusBadRequest, email, next, t["login_missing"])
		return
	}
	opt := s.cfg.Options
	ip := clientIP(r, opt.TrustedProxies)
	now := s.cfg.Clock()
	// The attempt is counted before the password is hashed, in one atomic
	// step per limit: parallel guesses queue on the store and at most
	// LoginPerEmail of them are ever checked (issue 10, item 9).
	emailKey, addrKey := "email:"+email, "addr:"+ip
	ok, retryAt, err := s.cfg.Store.ReserveLoginAttempt(ctx,
		store.LoginLimit{Key: emailKey, Max: opt.LoginPerEmail, Window: opt.LoginWindow},
		store.LoginLimit{Key: addrKey, Max: opt.LoginPerIP, Window: opt.LoginWindow})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !ok {
		wait := max(time.Minute, retryAt.Sub(now))
		mins := int(math.Ceil(wait.Minutes()))
		w.Header().Set("Retry-After", fmt.Sprint(int(wait.Seconds())))
		s.cfg.Logger.WarnContext(ctx, "console: sign-in limited", "addr", ip)
		s.renderLogin(w, r, http.StatusTooManyRequests, email, next, fmt.Sprintf(t["login_limited"], mins))
		return
	}
	// bcrypt is deliberately slow: unbounded, a burst of sign-ins takes every
	// CPU and the console stops answering. Beyond the slots, say so at once
	// and give the unchecked attempt back.
	if !s.acquireHash(ctx) {
		if err := s.cfg.Store.ReleaseLoginAttempt(context.WithoutCancel(ctx), nil, emailKey, addrKey); err != nil {
			s.cfg.Logger.WarnContext(ctx, "console: give back a sign-in attempt", "err", err)
		}
		w.Header().Set("Retry-After", "2")
		s.renderLogin(w, r, http.StatusServiceUnavailable, email, next, t["login_busy"])
		return
	}
	u, err := s.cfg.Store.UserByEmail(ctx, email)
	hash := s.dummyHash()
	if err == nil {
		hash = []byte(u.PasswordHash)
	} else if acuerdo.ErrorCode(err) != acuerdo.ENOTFOUND {
		<-s.hashSlots
		s.fail(w, r, err)
		return
	}
	wrong := bcrypt.CompareHashAndPassword(hash, []byte(password)) != nil
	<-s.hashSlots
	if wrong || err != nil {
		s.renderLogin(w, r, http.StatusUnauthorized, email, next, t["login_invalid"])
		return
	}
	if u.Disabled {
		s.renderLogin(w, r, http.StatusForbidden, email, next, t["login_disabled"])
		return
	}
	// A fresh token at every sign-in (never one the browser brought) and the
	// user's other sessions end: one person, one device.
	tok := randomToken()
	sess := store.Session{TokenHash: hashToken(tok), UserID: u.ID, CSRF: randomToken(), ExpiresAt: now.Add(opt.MaxAge)}
	audit := acuerdo.AuditEntry{Kind: acuerdo.AuditAdmin, Name: "login", Outcome: acuerdo.Allowed, Rule: "password", Detail: userRef(u)}
	if err := s.cfg.Store.StartSession(ctx, sess, audit); err != nil {
		s.fail(w, r, err)
		return
	}
	// The account's failures end with a success; the address keeps its
	// count but for this attempt, so a team behind one address is not
	// locked out by its own sign-ins.
	if err := s.cfg.Store.ReleaseLoginAttempt(ctx, []string{emailKey}, addrKey); err != nil {
		s.cfg.Logger.WarnContext(ctx, "console: clear sign-in attempts", "err", err)
	}
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Value: "", Path: "/console/login", MaxAge: -1, HttpOnly: true, Secure: s.secure(r), SameSite: http.SameSiteStrictMode})
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: tok, Path: "/", HttpOnly: true, Secure: s.secure(r), SameSite: http.SameSiteLaxMode,
		Expires: sess.ExpiresAt, MaxAge: int(opt.MaxAge.Seconds())})
	http.Redirect(w, r, safeNext(next), http.StatusSeeOther)
}

func (s *Server) consoleLogout(w http.ResponseWriter, r *http.Request) {
	si := signedInFrom(r)
	audit := acuerdo.AuditEntry{Kind: acuerdo.AuditAdmin, Name: "logout", Outcome: acuerdo.Allowed, Detail: userRef(si.user)}
	if err := s.cfg.Store.EndSession(r.Context(), si.sess.TokenHash, audit); err != nil {
		s.fail(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: s.secure(r), SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, "/console/login", http.StatusSeeOther)
}

// userRef names a console user in audit lines: staff, not debtors, so the
// email is fine there and tells a reviewer who acted.
func userRef(u store.User) string { return fmt.Sprintf("user %d <%s>", u.ID, u.Email) }

// safeNext keeps a post-login redirect inside the console: an open redirect
// would let a phishing link bounce through acuerdo's sign-in.
func safeNext(next string) string {
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") ||
		!strings.HasPrefix(u.Path, "/console/") || !strings.HasPrefix(path.Clean(u.Path)+"/", "/console/") || strings.HasPrefix(u.Path, "/console/login") {
		return "/console/inbox"
	}
	return next
}

// clientIP is the address limits apply to: the peer's, unless the peer is a
// trusted proxy, in which case X-Forwarded-For is read from the right (each
// proxy appends the address it saw) past every trusted hop; the first
// untrusted address is the client. Without trusted proxies the header is
// ignored: anyone can send it.
func clientIP(r *http.Request, trusted []netip.Prefix) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil || !isTrusted(peer, trusted) {
		return host
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break // a malformed hop: trust nothing left of it
		}
		a = a.Unmap()
		if !isTrusted(a, trusted) {
			return a.String()
		}
	}
	return host
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	a = a.Unmap()
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// acquireHash takes a password-check slot, waiting at most HashWait.
func (s *Server) acquireHash(ctx context.Context) bool {
	select {
	case s.hashSlots <- struct{}{}:
		return true
	default:
	}
	t := time.NewTimer(s.cfg.Options.HashWait)
	defer t.Stop()
	select {
	case s.hashSlots <- struct{}{}:
		return true
	case <-t.C:
	case <-ctx.Done():
	}
	return false
}

// ParseTrustedProxies reads ACUERDO_TRUSTED_PROXIES: comma-separated CIDRs
// or single addresses of the reverse proxies in front of acuerdo.
func ParseTrustedProxies(v string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(v, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if !strings.Contains(f, "/") {
			a, err := netip.ParseAddr(f)
			if err != nil {
				return nil, fmt.Errorf("%q is not an address or a CIDR such as 10.0.0.0/8", f)
			}
			out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			return nil, fmt.Errorf("%q is not a CIDR such as 10.0.0.0/8", f)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

func (s *Server) hashPassword(pw string) (string, error) {
	return store.HashPassword(pw, s.cfg.Options.BcryptCost)
}
