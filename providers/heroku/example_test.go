package heroku_test

import (
	"fmt"
	"log"

	"github.com/gin-gonic/gin"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/heroku"
)

func ExampleNew() {
	bp, err := heroku.New(heroku.Config{
		Config: ginoauth.Config{Scopes: []string{"identity"}},
	})
	if err != nil {
		log.Fatal(err)
	}
	r := gin.New() // with sessions.Sessions(...) middleware in a real app
	bp.Register(r.Group("/login"))
}

func ExampleProvider() {
	p := heroku.Provider(heroku.Config{})
	fmt.Println(p.Header.Get("Accept"))
	// Output:
	// application/vnd.heroku+json; version=3
}
