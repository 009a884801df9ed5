package discord_test

import (
	"fmt"
	"log"

	"github.com/gin-gonic/gin"

	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/providers/discord"
)

func ExampleNew() {
	// Skip the approval screen for users who already authorized the app.
	bp, err := discord.New(discord.Config{
		Config: ginoauth.Config{Scopes: []string{"identify", "email"}},
		Prompt: discord.PromptNone,
	})
	if err != nil {
		log.Fatal(err)
	}
	r := gin.New() // with sessions.Sessions(...) middleware in a real app
	bp.Register(r.Group("/login"))
}

func ExampleAvatarURL() {
	fmt.Println(discord.AvatarURL("80351110224678912", "0", "a_1269e74af4df7417b13759eae50c83dc"))
	fmt.Println(discord.AvatarURL("80351110224678912", "1337", ""))
	// Output:
	// https://cdn.discordapp.com/avatars/80351110224678912/a_1269e74af4df7417b13759eae50c83dc.gif
	// https://cdn.discordapp.com/embed/avatars/2.png
}
