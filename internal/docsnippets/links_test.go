package docsnippets

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLinks checks that the guides' relative links point at files that
// exist, and at headings that exist in them.
func TestLinks(t *testing.T) {
	root := repoRoot(t)
	mds, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	anchors := map[string]map[string]bool{}
	anchorsOf := func(path string) (map[string]bool, error) {
		if a, ok := anchors[path]; ok {
			return a, nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		a := map[string]bool{}
		inFence := false
		for _, line := range strings.Split(string(data), "\n") {
			if strings.HasPrefix(line, "```") {
				inFence = !inFence
			}
			if m := headingRe.FindStringSubmatch(line); m != nil && !inFence {
				a[anchor(m[1])] = true
			}
		}
		anchors[path] = a
		return a, nil
	}
	for _, md := range mds {
		data, err := os.ReadFile(md)
		if err != nil {
			t.Fatal(err)
		}
		for n, line := range strings.Split(string(data), "\n") {
			for _, m := range mdLinkRe.FindAllStringSubmatch(line, -1) {
				link := m[1]
				if strings.Contains(link, "://") || strings.HasPrefix(link, "mailto:") {
					continue
				}
				file, frag, _ := strings.Cut(link, "#")
				target := md
				if file != "" {
					target = filepath.Join(filepath.Dir(md), filepath.FromSlash(file))
				}
				where := fmt.Sprintf("docs/%s:%d", filepath.Base(md), n+1)
				if _, err := os.Stat(target); err != nil {
					t.Errorf("%s: link %q: %v", where, link, err)
					continue
				}
				if frag == "" || !strings.HasSuffix(target, ".md") {
					continue
				}
				a, err := anchorsOf(target)
				if err != nil {
					t.Fatal(err)
				}
				if !a[frag] {
					t.Errorf("%s: link %q: no heading with anchor #%s", where, link, frag)
				}
			}
		}
	}
}
