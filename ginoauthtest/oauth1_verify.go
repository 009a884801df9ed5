package ginoauthtest

import (
	"crypto"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"mime"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

func (s *OAuth1Server) handleAPI(x *o1Exchange) {
	if x.r.URL.Path == OAuth1PathInvalidate && !x.onlyPost() {
		return
	}
	params, status, problem := s.verify(x, func(token string) (string, string, bool) {
		s.mu.Lock()
		defer s.mu.Unlock()
		if at := s.access[token]; at != nil {
			return at.secret, at.userID, true
		}
		return "", "", false
	})
	if problem != "" {
		x.problem(status, problem)
		return
	}
	token := params["oauth_token"]
	s.mu.Lock()
	at := s.access[token]
	s.mu.Unlock()
	if at == nil { // revoked between the check and now
		x.problem(http.StatusUnauthorized, "token_rejected")
		return
	}
	u, _ := s.user(at.userID)
	switch x.r.URL.Path {
	case OAuth1PathInvalidate:
		s.mu.Lock()
		delete(s.access, token)
		s.mu.Unlock()
		x.json(map[string]string{"access_token": token})
	case OAuth1PathWhoami:
		x.json(u)
	case OAuth1PathEcho:
		q := x.r.URL.Query()
		var form url.Values
		if o1IsForm(x.r) {
			form, _ = url.ParseQuery(string(x.body))
		}
		x.json(map[string]any{
			"method": x.r.Method, "path": x.r.URL.Path, "query": q, "form": form,
			"content_type": x.r.Header.Get("Content-Type"), "user_id": u.ID,
		})
	case OAuth1PathVerifyCredentials:
		out := map[string]any{
			"id": o1Number(u.ID), "id_str": u.ID, "name": u.Name, "screen_name": u.Username,
			"profile_image_url_https": u.AvatarURL,
		}
		// X returns the email only when asked and when it is verified.
		if x.r.URL.Query().Get("include_email") == "true" && u.EmailVerified && u.Email != "" {
			out["email"] = u.Email
		}
		x.json(out)
	case JiraPathMyself:
		base := o1Origin(x.r)
		out := map[string]any{
			"self": base + "/rest/api/2/user?username=" + url.QueryEscape(u.Username),
			"key":  "JIRAUSER" + u.ID, "name": u.Username, "emailAddress": u.Email,
			"displayName": u.Name, "active": true, "timeZone": "UTC",
		}
		if u.AvatarURL != "" {
			out["avatarUrls"] = map[string]string{"48x48": u.AvatarURL, "24x24": u.AvatarURL}
		}
		x.json(out)
	}
}

func o1Number(id string) any {
	if n, err := strconv.ParseInt(id, 10, 64); err == nil {
		return n
	}
	return id
}

// verify checks the request's OAuth protocol parameters and signature.
// secretFor returns the secret (and user) of the token the request
// presents, and whether that token is acceptable here. It returns the
// protocol parameters, or an HTTP status and oauth_problem.
func (s *OAuth1Server) verify(x *o1Exchange, secretFor func(token string) (secret, userID string, ok bool)) (map[string]string, int, string) {
	oauth, all, err := o1Collect(x.r, x.body)
	if err != nil {
		return nil, http.StatusBadRequest, "parameter_rejected"
	}
	for _, p := range []string{"oauth_consumer_key", "oauth_signature_method", "oauth_signature", "oauth_timestamp", "oauth_nonce"} {
		if oauth[p] == "" {
			return nil, http.StatusBadRequest, "parameter_absent"
		}
	}
	if subtle.ConstantTimeCompare([]byte(oauth["oauth_consumer_key"]), []byte(s.cfg.ConsumerKey)) != 1 {
		return nil, http.StatusUnauthorized, "consumer_key_unknown"
	}
	if oauth["oauth_signature_method"] != s.cfg.SignatureMethod {
		return nil, http.StatusBadRequest, "signature_method_rejected"
	}
	if v, ok := oauth["oauth_version"]; ok && v != "1.0" {
		return nil, http.StatusBadRequest, "version_rejected"
	}
	ts, err := strconv.ParseInt(oauth["oauth_timestamp"], 10, 64)
	now := s.now()
	if err != nil || now.Sub(time.Unix(ts, 0)).Abs() > s.cfg.TimestampWindow {
		return nil, http.StatusUnauthorized, "timestamp_refused"
	}
	token := oauth["oauth_token"]
	tokenSecret, _, ok := secretFor(token)
	if !ok {
		if token == "" {
			return nil, http.StatusBadRequest, "parameter_absent"
		}
		return nil, http.StatusUnauthorized, "token_rejected"
	}
	base := o1SignatureBase(x.r.Method, o1BaseURI(x.r), all)
	sig, err := base64.StdEncoding.DecodeString(oauth["oauth_signature"])
	if err != nil || !s.signatureValid(base, tokenSecret, sig) {
		return nil, http.StatusUnauthorized, "signature_invalid"
	}
	// Nonces are remembered only for correctly signed requests, so a
	// forged request cannot burn a nonce.
	nonceKey := oauth["oauth_timestamp"] + "\x00" + oauth["oauth_nonce"] + "\x00" + token
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, at := range s.nonces {
		if now.Sub(at) > 2*s.cfg.TimestampWindow {
			delete(s.nonces, k)
		}
	}
	if _, used := s.nonces[nonceKey]; used {
		return nil, http.StatusUnauthorized, "nonce_used"
	}
	s.nonces[nonceKey] = now
	return oauth, 0, ""
}

func (s *OAuth1Server) signatureValid(base, tokenSecret string, sig []byte) bool {
	switch s.cfg.SignatureMethod {
	case "RSA-SHA1":
		digest := sha1.Sum([]byte(base))
		return rsa.VerifyPKCS1v15(s.cfg.RSAPublicKey, crypto.SHA1, digest[:], sig) == nil
	default:
		mac := hmac.New(sha1.New, []byte(o1PercentEncode(s.cfg.ConsumerSecret)+"&"+o1PercentEncode(tokenSecret)))
		mac.Write([]byte(base))
		return hmac.Equal(mac.Sum(nil), sig)
	}
}

// o1Pair is one request parameter.
type o1Pair struct{ k, v string }

func o1IsForm(r *http.Request) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == "application/x-www-form-urlencoded"
}

// o1Collect gathers the request parameters of RFC 5849 section 3.4.1.3.1:
// the query, a form body, and the Authorization header's protocol
// parameters (without realm). oauth holds the protocol parameters from
// the one place they were sent: the header if it has them, else the body,
// else the query. all excludes oauth_signature.
func o1Collect(r *http.Request, body []byte) (oauth map[string]string, all []o1Pair, err error) {
	add := func(v url.Values) {
		for k, vs := range v {
			for _, x := range vs {
				all = append(all, o1Pair{k, x})
			}
		}
	}
	query, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, nil, err
	}
	add(query)
	var form url.Values
	if o1IsForm(r) {
		if form, err = url.ParseQuery(string(body)); err != nil {
			return nil, nil, err
		}
		add(form)
	}
	oauth = map[string]string{}
	if h := r.Header.Get("Authorization"); len(h) > 6 && strings.EqualFold(h[:6], "OAuth ") {
		for part := range strings.SplitSeq(h[6:], ",") {
			k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
			if !ok || len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
				return nil, nil, fmt.Errorf("malformed Authorization header")
			}
			if k, err = url.PathUnescape(k); err != nil {
				return nil, nil, err
			}
			if v, err = url.PathUnescape(v[1 : len(v)-1]); err != nil {
				return nil, nil, err
			}
			if k == "realm" {
				continue
			}
			if _, dup := oauth[k]; dup {
				return nil, nil, fmt.Errorf("duplicate parameter %s", k)
			}
			oauth[k] = v
			all = append(all, o1Pair{k, v})
		}
	} else {
		src := form
		if src.Get("oauth_signature") == "" {
			src = query
		}
		for k, vs := range src {
			if strings.HasPrefix(k, "oauth_") && len(vs) > 0 {
				oauth[k] = vs[0]
			}
		}
	}
	// oauth_signature is not part of the base string.
	removed := false
	all = slices.DeleteFunc(all, func(p o1Pair) bool {
		if p.k == "oauth_signature" && !removed {
			removed = true
			return true
		}
		return false
	})
	return oauth, all, nil
}

// o1BaseURI is the base string URI of RFC 5849 section 3.4.1.2: scheme and
// host in lower case, the default port left out, the path, no query.
func o1BaseURI(r *http.Request) string {
	return o1Origin(r) + r.URL.EscapedPath()
}

func o1Origin(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	host := strings.ToLower(r.Host)
	if h, port, err := net.SplitHostPort(host); err == nil &&
		(scheme == "http" && port == "80" || scheme == "https" && port == "443") {
		host = h
		if strings.Contains(h, ":") {
			host = "[" + h + "]"
		}
	}
	return scheme + "://" + host
}

// o1SignatureBase is the signature base string of RFC 5849 section
// 3.4.1.1: the method, the base string URI and the normalized parameters
// (section 3.4.1.3.2: encoded, sorted by name then value, joined).
func o1SignatureBase(method, baseURI string, params []o1Pair) string {
	enc := make([]o1Pair, len(params))
	for i, p := range params {
		enc[i] = o1Pair{o1PercentEncode(p.k), o1PercentEncode(p.v)}
	}
	sort.Slice(enc, func(i, j int) bool {
		if enc[i].k != enc[j].k {
			return enc[i].k < enc[j].k
		}
		return enc[i].v < enc[j].v
	})
	var norm strings.Builder
	for i, p := range enc {
		if i > 0 {
			norm.WriteByte('&')
		}
		norm.WriteString(p.k)
		norm.WriteByte('=')
		norm.WriteString(p.v)
	}
	return strings.ToUpper(method) + "&" + o1PercentEncode(baseURI) + "&" + o1PercentEncode(norm.String())
}

// o1PercentEncode is the percent-encoding of RFC 5849 section 3.6: every
// byte except the unreserved characters ALPHA, DIGIT, "-", ".", "_" and
// "~" becomes %XX with upper-case hex digits.
func o1PercentEncode(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}
