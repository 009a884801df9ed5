package apple_test

import (
	"log"
	"os"

	"github.com/gin-gonic/gin"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/apple"
)

func ExampleNew() {
	bp, err := apple.New(apple.Config{
		// ClientID is the Services ID; it defaults to APPLE_OAUTH_CLIENT_ID.
		TeamID:         os.Getenv("APPLE_TEAM_ID"),
		KeyID:          os.Getenv("APPLE_KEY_ID"),
		PrivateKeyFile: "AuthKey_ABC123DEFG.p8",
		Config: ginoauth.Config{
			Hooks: ginoauth.Hooks{
				Authorized: func(c *gin.Context, bp *ginoauth.Blueprint, t *ginoauth.Token) error {
					// Apple sends the name on the first authorization only.
					// Keep it with the user's account.
					if u, ok := apple.CallbackUser(c, t); ok {
						c.Set("apple_name", u.FullName())
					}
					return nil
				},
			},
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	r := gin.New() // add the sessions middleware before serving
	bp.Register(r.Group("/login"))
}
