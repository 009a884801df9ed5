package main

import (
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-contrib/sessions"
	"github.com/gin-gonic/gin"
	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/backends/gormstore"
	"gorm.io/gorm"
)

// Session keys.
const (
	sessionUserID = "user_id"
	sessionGen    = "session_gen" // the user's session generation at login
	sessionCSRF   = "csrf"
)

// verifiedUserKey caches userID's answer for the rest of the request.
type verifiedUserKey struct{}

func (a *app) session(c *gin.Context) sessions.Session { return sessions.Default(c) }

// userID is who is logged in: gormstore's Config.UserID. A session counts
// only while its generation is the user's current one: logging out bumps
// it, which ends every copy of the session, not only the browser's.
func (a *app) userID(c *gin.Context) (string, bool) {
	if v, ok := c.Get(verifiedUserKey{}); ok {
		id, _ := v.(string)
		return id, id != ""
	}
	s := a.session(c)
	id, _ := s.Get(sessionUserID).(string)
	gen, _ := s.Get(sessionGen).(int)
	if id != "" {
		var u User
		err := a.db.WithContext(c.Request.Context()).Select("id", "session_gen").First(&u, "id = ?", id).Error
		if err != nil || u.SessionGen != gen {
			id = "" // ended by a logout elsewhere, or the user is gone
		}
	}
	c.Set(verifiedUserKey{}, id)
	return id, id != ""
}

func (a *app) flash(c *gin.Context, format string, args ...any) {
	a.session(c).AddFlash(fmt.Sprintf(format, args...))
}

func (a *app) redirectHome(c *gin.Context) {
	_ = a.session(c).Save()
	c.Redirect(http.StatusSeeOther, "/")
	c.Abort()
}

func (a *app) provider(name string) *provider {
	for _, p := range a.providers {
		if p.Name() == name {
			return p
		}
	}
	return nil
}

func newToken() string { return rand.Text() }

// csrfToken is the session's CSRF token, created on first use. Every form
// that changes something posts it back.
func (a *app) csrfToken(c *gin.Context) string {
	s := a.session(c)
	tok, _ := s.Get(sessionCSRF).(string)
	if tok == "" {
		tok = newToken()
		s.Set(sessionCSRF, tok)
	}
	return tok
}

// requireCSRF rejects a POST whose csrf_token is not the session's.
func (a *app) requireCSRF(c *gin.Context) {
	want, _ := a.session(c).Get(sessionCSRF).(string)
	got := c.PostForm("csrf_token")
	if want == "" || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		a.render(c, http.StatusForbidden, "error", gin.H{"Title": "Please try again",
			"Message": "This form has expired. Go back to the home page and try again."})
		c.Abort()
	}
}

// guardLogin lets a login start only from our own pages: by a POST with
// the CSRF token. Otherwise any site could log a visitor in (or link an
// account to them) with a plain link. The provider's redirect back to
// /login/{name}/authorized is a GET protected by the state parameter.
func (a *app) guardLogin(c *gin.Context) {
	if strings.HasSuffix(c.FullPath(), "/authorized") {
		return
	}
	if c.Request.Method != http.MethodPost {
		a.flash(c, "Choose how you want to log in.")
		a.redirectHome(c)
		return
	}
	a.requireCSRF(c)
}

// accountView is one row of the home page's account list.
type accountView struct {
	OAuthAccount
	Label string
}

func (a *app) home(c *gin.Context) {
	u, loggedIn := a.user(c)
	dbName := map[string]string{"sqlite": "SQLite", "postgres": "PostgreSQL"}[a.db.Dialector.Name()]
	data := gin.H{"Providers": a.providers, "Database": dbName}
	if loggedIn {
		rows, err := a.accounts(c.Request.Context(), strconv.FormatUint(uint64(u.ID), 10))
		if err != nil {
			a.render(c, http.StatusInternalServerError, "error", gin.H{"Title": "Something went wrong", "Message": "The database did not answer. Please try again."})
			return
		}
		var views []accountView
		linked := map[string]bool{}
		for _, r := range rows {
			label := r.Provider
			if p := a.provider(r.Provider); p != nil {
				label = p.Label
			}
			views = append(views, accountView{r, label})
			linked[r.Provider] = true
		}
		var connect []*provider
		for _, p := range a.providers {
			if !linked[p.Name()] {
				connect = append(connect, p)
			}
		}
		data["Accounts"], data["Connect"] = views, connect
	}
	a.render(c, http.StatusOK, "home", data)
}

// profile calls the provider's API with the user's stored token. Client
// refreshes the token when it has expired and saves the new one.
func (a *app) profile(c *gin.Context) {
	p := a.provider(c.Param("provider"))
	if _, ok := a.userID(c); !ok || p == nil {
		a.flash(c, "Log in first.")
		a.redirectHome(c)
		return
	}
	client, err := p.Client(c)
	if errors.Is(err, ginoauth.ErrNoToken) {
		a.flash(c, "Connect your %s account first.", p.Label)
		a.redirectHome(c)
		return
	}
	if err != nil { // the stored token could not be read
		a.render(c, http.StatusInternalServerError, "error", gin.H{"Title": "Please log in again", "Retry": p,
			"Message": "Your stored " + p.Label + " token could not be read (was TOKEN_KEY changed?). Log in with " + p.Label + " again to renew it."})
		return
	}
	data := gin.H{"Label": p.Label, "Request": "GET " + p.APIPath}
	if p.APIPath == "" { // no well-known API: show the normalized profile
		prof, err := p.Profile(c)
		if err != nil {
			a.apiFailed(c, p, err)
			return
		}
		prof.Raw = nil
		out, _ := json.MarshalIndent(prof, "", "  ")
		data["Request"], data["Status"], data["Body"] = "Profile (userinfo)", "200 OK", string(out)
		a.render(c, http.StatusOK, "profile", data)
		return
	}
	req, err := http.NewRequestWithContext(c.Request.Context(), http.MethodGet, p.APIPath, nil)
	if err != nil {
		a.apiFailed(c, p, err)
		return
	}
	resp, err := client.Do(req) // relative URL: resolved against the provider's API base
	if err != nil {
		a.apiFailed(c, p, err)
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var pretty bytes.Buffer
	if json.Indent(&pretty, body, "", "  ") == nil {
		body = pretty.Bytes()
	}
	data["Status"], data["Body"], data["Failed"] = resp.Status, string(body), resp.StatusCode >= 400
	a.render(c, http.StatusOK, "profile", data)
}

// disconnect unlinks a provider account and revokes its token.
func (a *app) disconnect(c *gin.Context) {
	uid, ok := a.userID(c)
	id, _ := strconv.ParseInt(c.Param("id"), 10, 64)
	var acc OAuthAccount
	if !ok || a.db.WithContext(c.Request.Context()).Omit("token").Where("id = ? AND user_id = ?", id, uid).Limit(1).Find(&acc).Error != nil || acc.ID == 0 {
		a.flash(c, "That account is not connected.")
		a.redirectHome(c)
		return
	}
	p := a.provider(acc.Provider)
	if p == nil {
		a.flash(c, "The %s provider is not configured, so it cannot be disconnected now.", acc.Provider)
		a.redirectHome(c)
		return
	}
	err := a.linker.Unlink(c.Request.Context(), p.Blueprint, uid, id)
	var n int64
	a.db.WithContext(c.Request.Context()).Model(&OAuthAccount{}).Where("id = ?", id).Count(&n)
	switch {
	case err == nil:
		a.flash(c, "Disconnected your %s account and revoked its token.", p.Label)
	case errors.Is(err, errLastAccount):
		a.flash(c, "%s is the only account you log in with, so it stays connected.", p.Label)
	case n == 0: // unlinked, but the provider did not confirm the revocation
		a.flash(c, "Disconnected your %s account. %s did not confirm that the token is revoked.", p.Label, p.Label)
	default:
		a.flash(c, "Could not disconnect your %s account. Please try again.", p.Label)
	}
	a.redirectHome(c)
}

// logout ends the local session, and every copy of it: the user's session
// generation moves on. Linked accounts and their tokens stay.
func (a *app) logout(c *gin.Context) {
	if id, ok := a.userID(c); ok {
		err := a.db.WithContext(c.Request.Context()).Model(&User{}).Where("id = ?", id).
			Update("session_gen", gorm.Expr("session_gen + 1")).Error
		if err != nil {
			a.render(c, http.StatusInternalServerError, "error", gin.H{"Title": "Something went wrong", "Message": "The database did not answer. Please try again."})
			return
		}
	}
	s := a.session(c)
	s.Clear()
	c.Set(verifiedUserKey{}, "")
	a.flash(c, "You are logged out. Your connected accounts are kept for your next visit.")
	a.redirectHome(c)
}

// authorized is the blueprints' Authorized hook: gormstore's linker logs
// the user in (creating or linking the local user) and we add a greeting.
func (a *app) authorized(c *gin.Context, bp *ginoauth.Blueprint, t *ginoauth.Token) error {
	_, wasLoggedIn := a.userID(c)
	err := a.linker.Authorized(c, bp, t)
	if errors.Is(err, ginoauth.ErrSkipStore) { // linked and stored
		label := a.provider(bp.Name()).Label
		if u, ok := a.user(c); ok && !wasLoggedIn {
			a.flash(c, "Welcome, %s! You are logged in with %s.", u.Name, label)
		} else {
			a.flash(c, "Connected your %s account.", label)
		}
	}
	return err
}

// loginFailed is the blueprints' Error hook: a friendly page per error kind.
func (a *app) loginFailed(c *gin.Context, bp *ginoauth.Blueprint, err *ginoauth.Error) {
	p := a.provider(bp.Name())
	title, msg := describe(err, p.Label)
	a.render(c, err.Status(), "error", gin.H{"Title": title, "Message": msg, "Kind": err.Kind, "Retry": p})
	c.Abort()
}

// apiFailed shows why a call to the provider's API failed.
func (a *app) apiFailed(c *gin.Context, p *provider, err error) {
	status, title, msg := http.StatusBadGateway, p.Label+" is not answering", "The provider could not be reached. Please try again later."
	data := gin.H{"Retry": p}
	if ge, ok := errors.AsType[*ginoauth.Error](err); ok {
		status, data["Kind"] = ge.Status(), ge.Kind
		title, msg = describe(ge, p.Label)
	}
	data["Title"], data["Message"] = title, msg
	a.render(c, status, "error", data)
}

// describe turns an error kind into a page title and a message.
func describe(err *ginoauth.Error, label string) (title, msg string) {
	switch err.Kind {
	case ginoauth.KindProviderDenied:
		return "Login cancelled", err.Message() + " Nothing was shared with this app."
	case ginoauth.KindStateMissing, ginoauth.KindStateMismatch, ginoauth.KindIssuerMismatch, ginoauth.KindCodeMissing:
		return "This login has expired", err.Message()
	case ginoauth.KindExchangeFailed, ginoauth.KindIDTokenInvalid, ginoauth.KindRefreshFailed:
		return label + " is not answering", err.Message()
	case ginoauth.KindReauthRequired:
		return "Please log in again", err.Message()
	}
	if errors.Is(err, gormstore.ErrAccountLinked) {
		return "Account already in use", "This " + label + " account is connected to another user of this app. Log out, then log in with it to reach that user."
	}
	return "Something went wrong", err.Message()
}
