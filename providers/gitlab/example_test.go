package gitlab_test

import (
	"fmt"
	"log"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/gitlab"
)

func ExampleNew() {
	// ClientID and ClientSecret default to GITLAB_OAUTH_CLIENT_ID and
	// GITLAB_OAUTH_CLIENT_SECRET.
	cfg := gitlab.Config{
		Hostname: "gitlab.example.com", // a self-managed instance
		Config:   ginoauth.Config{ClientID: "client-id", Scopes: []string{"read_user", "read_api"}},
	}
	if _, err := gitlab.New(cfg); err != nil {
		log.Fatal(err)
	}
	fmt.Println(gitlab.Provider(cfg).APIBaseURL)
	// Output: https://gitlab.example.com/api/v4/
}
