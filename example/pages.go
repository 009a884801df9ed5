package main

import (
	"bytes"
	"embed"
	"html/template"
	"io/fs"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
)

//go:embed templates static
var files embed.FS

func staticFS() fs.FS {
	sub, _ := fs.Sub(files, "static")
	return sub
}

// parsePages parses each page together with the shared layout.
func parsePages() map[string]*template.Template {
	funcs := template.FuncMap{
		"initial": func(s string) string {
			r, _ := utf8.DecodeRuneInString(s)
			return strings.ToUpper(string(r))
		},
		"dict": func(kv ...any) map[string]any { // arguments for a sub-template
			m := map[string]any{}
			for i := 0; i+1 < len(kv); i += 2 {
				m[kv[i].(string)] = kv[i+1]
			}
			return m
		},
	}
	pages := map[string]*template.Template{}
	for _, name := range []string{"home", "profile", "error"} {
		pages[name] = template.Must(template.New(name).Funcs(funcs).
			ParseFS(files, "templates/layout.html", "templates/"+name+".html"))
	}
	return pages
}

// render shows a page with the layout's data: the logged-in user, the
// flash messages (shown once) and the CSRF token for the page's forms.
func (a *app) render(c *gin.Context, status int, page string, data gin.H) {
	data["CSRF"] = a.csrfToken(c)
	if u, ok := a.user(c); ok {
		data["User"] = u
	}
	s := a.session(c)
	data["Flashes"] = s.Flashes()
	_ = s.Save()
	var buf bytes.Buffer
	if err := a.pages[page].ExecuteTemplate(&buf, "layout", data); err != nil {
		_ = c.Error(err)
		c.String(http.StatusInternalServerError, "Internal server error")
		return
	}
	c.Header("Cache-Control", "no-store")
	c.Data(status, "text/html; charset=utf-8", buf.Bytes())
}
