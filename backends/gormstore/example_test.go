package gormstore_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"time"

	"github.com/gin-contrib/sessions"
	"github.com/gin-contrib/sessions/cookie"
	"github.com/gin-gonic/gin"
	"github.com/ginoauth/ginoauth"
	"github.com/ginoauth/ginoauth/backends/gormstore"
	"github.com/glebarez/sqlite"
	"golang.org/x/oauth2"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// exampleDB is an in-memory SQLite database; an application would open its
// own, e.g. gorm.Open(postgres.Open(dsn), &gorm.Config{}).
func exampleDB() *gorm.DB {
	db, err := gorm.Open(sqlite.Open(":memory:"), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		log.Fatal(err)
	}
	sqlDB, _ := db.DB()
	sqlDB.SetMaxOpenConns(1) // one in-memory database
	return db
}

// exampleProvider stands for a provider from the providers packages.
var exampleProvider = ginoauth.Provider{
	Name: "example",
	Endpoint: oauth2.Endpoint{
		AuthURL:  "https://provider.example/oauth/authorize",
		TokenURL: "https://provider.example/oauth/token",
	},
	APIBaseURL: "https://api.provider.example/",
}

// A store whose users are the application's own: UserID says who is logged
// in (here, a user ID the app's login keeps in the session).
func Example() {
	db := exampleDB()
	store, err := gormstore.New(db, gormstore.Config{
		UserID: func(c *gin.Context) (string, bool) {
			id, ok := sessions.Default(c).Get("user_id").(string)
			return id, ok
		},
		UserRequired: true, // no token without a logged-in user
	})
	if err != nil {
		log.Fatal(err)
	}
	// Migrations are explicit.
	if err := store.AutoMigrate(context.Background()); err != nil {
		log.Fatal(err)
	}
	bp, err := ginoauth.New(exampleProvider, ginoauth.Config{
		ClientID:     "client-id",
		ClientSecret: os.Getenv("EXAMPLE_CLIENT_SECRET"),
		Storage:      store,
	})
	if err != nil {
		log.Fatal(err)
	}
	r := gin.New()
	r.Use(sessions.Sessions("app", cookie.NewStore([]byte(os.Getenv("SESSION_KEY")))))
	bp.Register(r.Group("/login"))
	r.GET("/repos", bp.Required(), func(c *gin.Context) {
		client, err := bp.Client(c) // the logged-in user's token
		if err != nil {
			c.AbortWithStatus(http.StatusInternalServerError)
			return
		}
		resp, err := client.Get("user/repos")
		if err != nil {
			c.AbortWithStatus(http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		c.DataFromReader(resp.StatusCode, resp.ContentLength, resp.Header.Get("Content-Type"), resp.Body, nil)
	})

	// Outside a request, the same tokens by user ID.
	ctx := context.Background()
	if err := save(store, ctx, bp.Name(), "42", &ginoauth.Token{AccessToken: "secret"}); err != nil {
		log.Fatal(err)
	}
	accounts, err := store.Accounts(ctx, "42")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(accounts[0]) // never shows the token
	// Output: gormstore.Account{id=1 provider=example user_id=42 version=1}
}

// The linking hook makes "log in with the provider" a local login: a
// returning account logs its user in, a logged-in user gets the account
// linked, and a new visitor becomes a new user.
func ExampleStore_Linker() {
	db := exampleDB()
	type User struct {
		ID    uint
		Email string
		Name  string
	}
	store, err := gormstore.New(db, gormstore.Config{
		UserID: func(c *gin.Context) (string, bool) {
			id, ok := sessions.Default(c).Get("user_id").(string)
			return id, ok
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	linker, err := store.Linker(gormstore.LinkConfig{
		Login: func(c *gin.Context, userID string) error {
			s := sessions.Default(c)
			s.Set("user_id", userID)
			return s.Save()
		},
		// Create users with tx, so that a failed link leaves none behind,
		// and keep only an email the provider verified.
		CreateUser: func(c *gin.Context, tx *gorm.DB, p *ginoauth.Profile) (string, error) {
			u := User{Name: p.Name}
			if p.EmailVerified {
				u.Email = p.Email
			}
			if err := tx.Create(&u).Error; err != nil {
				return "", err
			}
			return strconv.FormatUint(uint64(u.ID), 10), nil
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	bp, err := ginoauth.New(exampleProvider, ginoauth.Config{
		ClientID: "client-id",
		Storage:  store,
		Hooks: ginoauth.Hooks{
			Authorized: linker.Authorized,
			Error: func(c *gin.Context, bp *ginoauth.Blueprint, err *ginoauth.Error) {
				if errors.Is(err, gormstore.ErrAccountLinked) {
					c.String(http.StatusConflict, "This account is already connected to another user.")
				}
			},
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	r := gin.Default()
	bp.Register(r.Group("/login"))
	// A "connected accounts" page, and a disconnect button.
	r.GET("/settings/accounts", func(c *gin.Context) {
		uid, _ := sessions.Default(c).Get("user_id").(string)
		accounts, err := store.Accounts(c.Request.Context(), uid)
		if err != nil {
			c.AbortWithStatus(http.StatusInternalServerError)
			return
		}
		c.JSON(http.StatusOK, accounts)
	})
	r.POST("/settings/accounts/:id/disconnect", func(c *gin.Context) {
		uid, _ := sessions.Default(c).Get("user_id").(string)
		id, _ := strconv.ParseInt(c.Param("id"), 10, 64)
		if err := linker.Unlink(c.Request.Context(), bp, uid, id); err != nil {
			c.AbortWithStatus(http.StatusBadRequest)
			return
		}
		c.Redirect(http.StatusSeeOther, "/settings/accounts")
	})
}

// A background job acts for a user: ClientFor loads the user's token,
// refreshes it when it expires and saves it, as Client does in a request.
func ExampleStore_Ref() {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer token-of-user-42" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		fmt.Fprint(w, "3 repositories")
	}))
	defer api.Close()
	provider := exampleProvider
	provider.APIBaseURL = api.URL

	store, err := gormstore.New(exampleDB(), gormstore.Config{})
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	if err := store.AutoMigrate(ctx); err != nil {
		log.Fatal(err)
	}
	bp, err := ginoauth.New(provider, ginoauth.Config{ClientID: "client-id", Storage: store})
	if err != nil {
		log.Fatal(err)
	}
	// User 42 logged in earlier.
	err = save(store, ctx, bp.Name(), "42", &ginoauth.Token{AccessToken: "token-of-user-42", Expiry: time.Now().Add(time.Hour)})
	if err != nil {
		log.Fatal(err)
	}

	// The job.
	client := bp.ClientFor(ctx, store.UserRef(bp.Name(), "42"))
	resp, err := client.Get("user/repos")
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, string(body))
	// Output: 200 3 repositories
}

// Encryption at rest with key rotation: the new key goes first, the old one
// stays until Reencrypt has re-sealed every token with the new key.
func ExampleConfig_keys() {
	db := exampleDB()
	ctx := context.Background()
	// Real keys come from a secret store, never from the source.
	oldKey := []byte("0123456789abcdef0123456789abcdef")
	newKey := []byte("fedcba9876543210fedcba9876543210")

	before, err := gormstore.New(db, gormstore.Config{Keys: [][]byte{oldKey}})
	if err != nil {
		log.Fatal(err)
	}
	if err := before.AutoMigrate(ctx); err != nil {
		log.Fatal(err)
	}
	if err := save(before, ctx, "example", "42", &ginoauth.Token{AccessToken: "secret"}); err != nil {
		log.Fatal(err)
	}

	rotated, err := gormstore.New(db, gormstore.Config{Keys: [][]byte{newKey, oldKey}})
	if err != nil {
		log.Fatal(err)
	}
	n, err := rotated.Reencrypt(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("re-sealed:", n)

	after, err := gormstore.New(db, gormstore.Config{Keys: [][]byte{newKey}})
	if err != nil {
		log.Fatal(err)
	}
	t, err := load(after, ctx, "example", "42")
	fmt.Println(t.AccessToken == "secret", err)
	// Output:
	// re-sealed: 1
	// true <nil>
}
