package oidc

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
)

// signedUserInfo verifies a signed userinfo answer with the provider's
// keys and returns its claims: its iss, when present, must be the
// provider's issuer and its aud, when present, must name the client
// (OpenID Connect Core section 5.3.2).
func (j *jwtVerifier) signedUserInfo(ctx context.Context, raw string) ([]byte, error) {
	payload, err := j.keys.VerifySignature(ctx, raw)
	if err != nil {
		return nil, fmt.Errorf("oidc: userinfo: signature: %w", err)
	}
	var c struct {
		Issuer   string          `json:"iss"`
		Audience json.RawMessage `json:"aud"`
	}
	if err := json.Unmarshal(payload, &c); err != nil {
		return nil, fmt.Errorf("oidc: userinfo: %w", err)
	}
	if c.Issuer != "" && !j.skipIss && c.Issuer != j.issuer {
		return nil, errors.New("oidc: userinfo: signed by another issuer")
	}
	if len(c.Audience) > 0 && j.configured != "" && !audienceHas(c.Audience, j.configured) {
		return nil, errors.New("oidc: userinfo: signed for another audience")
	}
	return payload, nil
}

func audienceHas(raw json.RawMessage, client string) bool {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return one == client
	}
	var many []string
	return json.Unmarshal(raw, &many) == nil && slices.Contains(many, client)
}

// claimSource is a member of "_claim_sources" (OpenID Connect Core
// section 5.6.2): aggregated claims in JWT, or distributed claims at
// Endpoint, read with AccessToken.
type claimSource struct {
	JWT         string `json:"JWT"`
	Endpoint    string `json:"endpoint"`
	AccessToken string `json:"access_token"`
}

// resolveSources replaces the aggregated and distributed claims that raw
// refers to ("_claim_names", "_claim_sources") by their values, when the
// source's JWT verifies: signed by the provider itself, or by a claims
// provider of Config.ClaimsProviders. A source that cannot be read or
// verified is left as a reference, so its claims are never taken on
// trust.
func (j *jwtVerifier) resolveSources(ctx context.Context, raw []byte) ([]byte, error) {
	if !bytes.Contains(raw, []byte(`"_claim_names"`)) {
		return raw, nil
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(raw, &all); err != nil {
		return nil, fmt.Errorf("oidc: userinfo: %w", err)
	}
	var names map[string]string
	var sources map[string]claimSource
	if json.Unmarshal(all["_claim_names"], &names) != nil || json.Unmarshal(all["_claim_sources"], &sources) != nil {
		return raw, nil // malformed references: leave them as they are
	}
	for id, src := range sources {
		payload, err := j.readSource(ctx, src)
		if err != nil {
			continue
		}
		var values map[string]json.RawMessage
		if json.Unmarshal(payload, &values) != nil {
			continue
		}
		for claim, from := range names {
			if v, ok := values[claim]; ok && from == id && claim != "sub" {
				all[claim] = v
				delete(names, claim)
			}
		}
		delete(sources, id)
	}
	if len(names) == 0 {
		delete(all, "_claim_names")
		delete(all, "_claim_sources")
	} else {
		all["_claim_names"], _ = json.Marshal(names)
		all["_claim_sources"], _ = json.Marshal(sources)
	}
	return json.Marshal(all)
}

// readSource returns the verified claims of one source.
func (j *jwtVerifier) readSource(ctx context.Context, src claimSource) ([]byte, error) {
	jwt := src.JWT
	if jwt == "" && src.Endpoint != "" {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, src.Endpoint, nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Accept", "application/jwt")
		if src.AccessToken != "" {
			req.Header.Set("Authorization", "Bearer "+src.AccessToken)
		}
		body, _, err := fetch(j.hc, req)
		if err != nil {
			return nil, err
		}
		jwt = string(body)
	}
	iss, err := unverifiedIssuer(jwt)
	if err != nil {
		return nil, err
	}
	keys, err := j.sourceKeys(iss)
	if err != nil {
		return nil, err
	}
	return keys.VerifySignature(ctx, jwt)
}

// sourceKeys are the keys that verify claims issued by iss.
func (j *jwtVerifier) sourceKeys(iss string) (gooidc.KeySet, error) {
	if iss == j.issuer || iss == "" {
		return j.keys, nil
	}
	jwks, ok := j.claimsProviders[iss]
	if !ok {
		return nil, fmt.Errorf("claims issued by %q, which is not a trusted claims provider", iss)
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.sourceKeySets == nil {
		j.sourceKeySets = map[string]gooidc.KeySet{}
	}
	ks, ok := j.sourceKeySets[iss]
	if !ok {
		ks = gooidc.NewRemoteKeySet(gooidc.ClientContext(context.Background(), j.hc), jwks)
		j.sourceKeySets[iss] = ks
	}
	return ks, nil
}

// unverifiedIssuer reads a JWT's "iss" claim without verifying it, to pick
// the keys that will.
func unverifiedIssuer(jwt string) (string, error) {
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return "", errors.New("not a signed JWT")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return "", err
	}
	var c struct {
		Issuer string `json:"iss"`
	}
	if err := json.Unmarshal(payload, &c); err != nil {
		return "", err
	}
	return c.Issuer, nil
}
