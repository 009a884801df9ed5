package reddit_test

import (
	"log"

	"github.com/gin-gonic/gin"

	"github.com/ginoauth/ginoauth/providers/reddit"
)

func ExampleNew() {
	bp, err := reddit.New(reddit.Config{
		Permanent: true, // a refresh token, used by bp.Client when the hour is up
		UserAgent: "web:com.example.app:v1.0 (by /u/example)",
	})
	if err != nil {
		log.Fatal(err)
	}
	r := gin.New() // with sessions.Sessions(...) middleware in a real app
	bp.Register(r.Group("/login"))
}
