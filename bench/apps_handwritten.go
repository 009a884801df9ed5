package bench

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-contrib/sessions"
	"github.com/gin-gonic/gin"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/endpoints"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

type ghEmail struct {
	Email    string `json:"email"`
	Primary  bool   `json:"primary"`
	Verified bool   `json:"verified"`
}

func mountHandwritten(r *gin.Engine, hc *http.Client, db *gorm.DB) error {
	h := &handwritten{hc: hc, db: db}
	if db != nil {
		if err := db.Table(handTable).AutoMigrate(&handTokenRow{}); err != nil {
			return err
		}
	}
	r.GET(loginPath, h.login)
	r.GET(callbackPath, h.callback)
	r.GET(apiPath, h.api)
	return nil
}

// config is the OAuth client for this request: the callback URL comes from
// the request's host, which works on localhost with no configuration.
func (h *handwritten) config(c *gin.Context) *oauth2.Config {
	return &oauth2.Config{
		ClientID:     ClientID,
		ClientSecret: ClientSecret,
		Endpoint:     endpoints.GitHub,
		Scopes:       Scopes,
		RedirectURL:  "http://" + c.Request.Host + callbackPath,
	}
}

func (h *handwritten) ctx(c *gin.Context) (context.Context, context.CancelFunc) {
	ctx := context.WithValue(c.Request.Context(), oauth2.HTTPClient, h.hc)
	return context.WithTimeout(ctx, 15*time.Second)
}

func (h *handwritten) login(c *gin.Context) {
	s := sessions.Default(c)
	state, verifier := rand.Text(), oauth2.GenerateVerifier()
	s.Set("oauth_state", state)
	s.Set("oauth_verifier", verifier)
	if err := s.Save(); err != nil {
		c.Status(http.StatusInternalServerError)
		return
	}
	c.Redirect(http.StatusFound, h.config(c).AuthCodeURL(state, oauth2.S256ChallengeOption(verifier)))
}

func (h *handwritten) callback(c *gin.Context) {
	s := sessions.Default(c)
	state, _ := s.Get("oauth_state").(string)
	verifier, _ := s.Get("oauth_verifier").(string)
	s.Delete("oauth_state")
	s.Delete("oauth_verifier")
	if state == "" || c.Query("error") != "" || subtle.ConstantTimeCompare([]byte(state), []byte(c.Query("state"))) != 1 {
		_ = s.Save()
		c.Status(http.StatusBadRequest)
		return
	}
	ctx, cancel := h.ctx(c)
	defer cancel()
	cfg := h.config(c)
	tok, err := cfg.Exchange(ctx, c.Query("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		_ = s.Save()
		c.Status(http.StatusBadGateway)
		return
	}
	client := oauth2.NewClient(ctx, oauth2.StaticTokenSource(tok))
	var u ghUser
	var emails []ghEmail
	if err := getJSON(ctx, client, ProfileURL, &u); err != nil || u.ID == 0 {
		_ = s.Save()
		c.Status(http.StatusBadGateway)
		return
	}
	if u.Email == "" && getJSON(ctx, client, EmailURL, &emails) == nil {
		for _, e := range emails {
			if e.Primary && e.Verified {
				u.Email = e.Email
			}
		}
	}
	uid := strconv.FormatInt(u.ID, 10)
	s.Set("uid", uid)
	if err := h.save(c, s, uid, tok); err != nil {
		c.Status(http.StatusInternalServerError)
		return
	}
	c.Header("X-User", u.Login)
	c.Redirect(http.StatusFound, "/")
}

func getJSON(ctx context.Context, client *http.Client, url string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	status, body, err := readAll(client.Do(req))
	if err != nil {
		return err
	}
	if status != http.StatusOK {
		return fmt.Errorf("bench: %s answered %d", url, status)
	}
	return json.Unmarshal(body, v)
}

// save stores tok and saves the session.
func (h *handwritten) save(c *gin.Context, s sessions.Session, uid string, tok *oauth2.Token) error {
	raw, err := json.Marshal(tok)
	if err != nil {
		return err
	}
	if h.db != nil {
		row := handTokenRow{UserID: uid, Token: string(raw)}
		if err := h.db.WithContext(c.Request.Context()).Table(handTable).
			Clauses(clause.OnConflict{UpdateAll: true}).Create(&row).Error; err != nil {
			return err
		}
	} else {
		s.Set("token", string(raw))
	}
	return s.Save()
}

func (h *handwritten) load(c *gin.Context) *oauth2.Token {
	var raw string
	if h.db != nil {
		uid, ok := sessionUID(c)
		if !ok {
			return nil
		}
		var rows []handTokenRow
		if err := h.db.WithContext(c.Request.Context()).Table(handTable).
			Where("user_id = ?", uid).Limit(1).Find(&rows).Error; err != nil || len(rows) == 0 {
			return nil
		}
		raw = rows[0].Token
	} else {
		raw, _ = sessions.Default(c).Get("token").(string)
	}
	var tok oauth2.Token
	if raw == "" || json.Unmarshal([]byte(raw), &tok) != nil || tok.AccessToken == "" {
		return nil
	}
	return &tok
}

func (h *handwritten) api(c *gin.Context) {
	tok := h.load(c)
	if tok == nil {
		c.Status(http.StatusUnauthorized)
		return
	}
	ctx, cancel := h.ctx(c)
	defer cancel()
	// Refresh the token if it expired, and save the new one.
	nt, err := h.config(c).TokenSource(ctx, tok).Token()
	if err != nil {
		c.Status(http.StatusUnauthorized)
		return
	}
	if nt.AccessToken != tok.AccessToken {
		uid, _ := sessionUID(c)
		if err := h.save(c, sessions.Default(c), uid, nt); err != nil {
			c.Status(http.StatusInternalServerError)
			return
		}
	}
	status, body, err := readAll(oauth2.NewClient(ctx, oauth2.StaticTokenSource(nt)).Get(ProfileURL))
	relay(c, status, body, err)
}

// isAbs reports whether s is an absolute http(s) URL.
func isAbs(s string) bool { return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://") }
