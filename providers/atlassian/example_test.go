package atlassian_test

import (
	"fmt"
	"log"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/atlassian"
)

func ExampleNew() {
	// ClientID and ClientSecret default to ATLASSIAN_OAUTH_CLIENT_ID and
	// ATLASSIAN_OAUTH_CLIENT_SECRET.
	cfg := atlassian.Config{Config: ginoauth.Config{
		ClientID: "client-id",
		Scopes:   []string{"read:me", "read:jira-work", "offline_access"},
	}}
	if _, err := atlassian.New(cfg); err != nil {
		log.Fatal(err)
	}
	p := atlassian.Provider(cfg)
	fmt.Println(p.AuthParams["audience"], "refresh:", !p.RefreshDisabled)
	// Output: api.atlassian.com refresh: true
}
