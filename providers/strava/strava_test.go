package strava_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/strava"
)

type ref struct{ t *ginoauth.Token }

func (r *ref) Load(context.Context) (*ginoauth.Token, error) { return r.t, nil }
func (r *ref) Swap(_ context.Context, _, nt *ginoauth.Token) (*ginoauth.Token, error) {
	r.t = nt
	return nt, nil
}

const athleteJSON = `{"id":134815,"username":"marianne_t","resource_state":2,"firstname":"Marianne",
	"lastname":"Teutenberg","city":"San Francisco","state":"CA","country":"US","sex":"F","premium":true,
	"profile_medium":"https://xxxxxx.cloudfront.net/pictures/athletes/134815/2/medium.jpg",
	"profile":"https://xxxxxx.cloudfront.net/pictures/athletes/134815/2/large.jpg"}`

var wantProfile = ginoauth.Profile{ID: "134815", Name: "Marianne Teutenberg", Username: "marianne_t",
	AvatarURL: "https://xxxxxx.cloudfront.net/pictures/athletes/134815/2/large.jpg"}

// athleteExtra decodes the athlete as a storage round trip leaves it
// (numbers as float64) or as a fresh token response does (json.Number).
func athleteExtra(t *testing.T, useNumber bool) map[string]any {
	t.Helper()
	var m map[string]any
	d := json.NewDecoder(strings.NewReader(athleteJSON))
	if useNumber {
		d.UseNumber()
	}
	if err := d.Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestProfile(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		extra     map[string]any
		wantCalls int32
	}{
		{"athlete from a fresh token", map[string]any{"athlete": athleteExtra(t, true), "expires_at": int64(1568775134)}, 0},
		{"athlete from a stored token", map[string]any{"athlete": athleteExtra(t, false)}, 0},
		{"no athlete: GET /athlete", nil, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var calls atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				calls.Add(1)
				if r.URL.Path != "/api/v3/athlete" {
					t.Errorf("path = %q, want /api/v3/athlete", r.URL.Path)
				}
				if got, want := r.Header.Get("Authorization"), "Bearer tok"; got != want {
					t.Errorf("Authorization = %q, want %q", got, want)
				}
				io.WriteString(w, athleteJSON)
			}))
			defer srv.Close()
			p := strava.Provider(ginoauth.Config{})
			p.APIBaseURL = srv.URL + "/api/v3/"
			bp, err := ginoauth.New(p, ginoauth.Config{ClientID: "id"})
			if err != nil {
				t.Fatal(err)
			}
			got, err := bp.ProfileFor(context.Background(), &ref{&ginoauth.Token{AccessToken: "tok", Extra: tt.extra}})
			if err != nil {
				t.Fatal(err)
			}
			if n := calls.Load(); n != tt.wantCalls {
				t.Errorf("API calls = %d, want %d", n, tt.wantCalls)
			}
			var rawAthlete struct {
				ID       int64  `json:"id"`
				Username string `json:"username"`
			}
			if err := json.Unmarshal(got.Raw, &rawAthlete); err != nil || rawAthlete.ID != 134815 || rawAthlete.Username != "marianne_t" {
				t.Errorf("Raw = %s (%v), want the athlete", got.Raw, err)
			}
			got.Raw = nil
			if !reflect.DeepEqual(*got, wantProfile) {
				t.Errorf("got %+v, want %+v", *got, wantProfile)
			}
		})
	}
}
