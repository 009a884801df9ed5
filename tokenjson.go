package ginoauth

import (
	"encoding/json"

	"github.com/ginoauth/ginoauth/internal/jsonscan"
)

// decodeTokenJSON decodes the JSON that Token.MarshalJSON writes into d, as
// json.Unmarshal would, in one pass (see jsonscan): the token read of every
// API call with a database storage. It reports false, leaving the decoding
// to json.Unmarshal alone, for anything it does not take as it is,
// including a key of another spelling (which encoding/json matches
// case-insensitively). FuzzUnmarshalToken compares the two.
func decodeTokenJSON(data []byte, d *tokenJSON) bool {
	s := jsonscan.New(data)
	ok := s.Object(func(key []byte, v jsonscan.Value) bool {
		switch string(key) {
		case "access_token":
			return str(v, &d.AccessToken)
		case "token_type":
			return str(v, &d.TokenType)
		case "refresh_token":
			return str(v, &d.RefreshToken)
		case "id_token":
			return str(v, &d.IDToken)
		case "secret":
			return str(v, &d.Secret)
		case "expiry":
			if v.Plain {
				// time.Time's own decoding, as encoding/json calls it.
				return d.Expiry.UnmarshalJSON(v.Text) == nil
			}
			return json.Unmarshal(v.Text, &d.Expiry) == nil
		case "expires_in":
			if n, ok := jsonscan.PlainInt(v.Text); ok {
				d.ExpiresIn = n
				return true
			}
			return json.Unmarshal(v.Text, &d.ExpiresIn) == nil
		case "scopes":
			return jsonscan.Strings(v.Text, &d.Scopes)
		case "extra":
			return jsonscan.Map(v.Text, &d.Extra, fieldName)
		}
		return false
	})
	return ok && s.Done()
}

// str decodes a string value into dst.
func str(v jsonscan.Value, dst *string) bool {
	if v.Plain {
		*dst = string(v.Contents())
		return true
	}
	return json.Unmarshal(v.Text, dst) == nil
}

// fieldName returns key as a string, without an allocation for the names a
// token answer and a stored token's Extra usually have.
func fieldName(key []byte) string {
	switch string(key) {
	case "access_token":
		return "access_token"
	case "token_type":
		return "token_type"
	case "refresh_token":
		return "refresh_token"
	case "expires_in":
		return "expires_in"
	case "id_token":
		return "id_token"
	case "scope":
		return "scope"
	case claimsKey:
		return claimsKey
	case "refresh_token_expires_in":
		return "refresh_token_expires_in"
	}
	return string(key)
}
