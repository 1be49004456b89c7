package sqlvigil_test

import (
	"bufio"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Limits the house keeps on its documentation (issue 17): a README a new
// user reads to the end, package docs that say what the room is and leave
// the details to the types.
const (
	maxReadmeLines     = 200
	maxPackageDocLines = 60
)

// The first two commands of the README, which must work on a fresh clone.
var readmeCommands = []string{
	"go -C examples run ./quickstart",
	"go test ./...",
}

// TestPackageDocLength fails when the package comment of a doc.go in the
// library module runs over maxPackageDocLines lines. Directories with a
// go.mod of their own (difftest, e2e, bench, stdsqltest, frameworks,
// examples) are other modules, and are skipped.
func TestPackageDocLength(t *testing.T) {
	var checked int
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path == "." {
				return nil
			}
			name := d.Name()
			if strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata" {
				return filepath.SkipDir
			}
			if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil {
				return filepath.SkipDir // another module
			}
			return nil
		}
		if d.Name() != "doc.go" {
			return nil
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, path, nil, parser.ParseComments|parser.PackageClauseOnly)
		require.NoError(t, err)
		if !assert.NotNil(t, f.Doc, "%s has no package comment", path) {
			return nil
		}
		lines := fset.Position(f.Doc.End()).Line - fset.Position(f.Doc.Pos()).Line + 1
		assert.LessOrEqual(t, lines, maxPackageDocLines,
			"%s: package comment is %d lines; move details onto the types' doc comments", path, lines)
		checked++
		return nil
	})
	require.NoError(t, err)
	// The root, driver, guard, guard/policyfile, guard/approval, mask,
	// audit, audit/blackbox, identity and sqlstmt at least.
	assert.GreaterOrEqual(t, checked, 10, "doc.go files found")
}

// TestReadme fails when README.md runs over maxReadmeLines lines or when it
// no longer opens with the demo and the tests: its first fenced block, near
// the top, is a shell block of exactly those two commands.
func TestReadme(t *testing.T) {
	data, err := os.ReadFile("README.md")
	require.NoError(t, err)
	text := strings.TrimSuffix(string(data), "\n")
	lines := strings.Count(text, "\n") + 1
	assert.LessOrEqual(t, lines, maxReadmeLines, "README.md is %d lines", lines)

	blocks := fencedBlocks(string(data))
	require.NotEmpty(t, blocks, "README.md has no fenced block")
	first := blocks[0]
	assert.LessOrEqual(t, first.line, 5, "the commands open the README")
	assert.Contains(t, []string{"sh", "shell", "bash", "console"}, first.lang, "the first block is shell")
	assert.Equal(t, readmeCommands, first.commands(), "the first commands of README.md")
}

// block is a fenced block of a Markdown text.
type block struct {
	line int // 1-based line of the opening fence
	lang string
	body []string
}

// commands returns the block's lines without comments and blank lines.
func (b block) commands() []string {
	var cmds []string
	for _, l := range b.body {
		cmd, _, _ := strings.Cut(l, "#")
		if cmd = strings.TrimSpace(cmd); cmd != "" {
			cmds = append(cmds, cmd)
		}
	}
	return cmds
}

// fencedBlocks returns the ``` blocks of a Markdown text, in order.
func fencedBlocks(markdown string) []block {
	var (
		blocks []block
		cur    *block
	)
	sc := bufio.NewScanner(strings.NewReader(markdown))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(trimmed, "```") && cur == nil:
			cur = &block{line: n, lang: strings.TrimPrefix(trimmed, "```")}
		case strings.HasPrefix(trimmed, "```"):
			blocks = append(blocks, *cur)
			cur = nil
		case cur != nil:
			cur.body = append(cur.body, line)
		}
	}
	return blocks
}

func TestFencedBlocks(t *testing.T) {
	tests := []struct {
		name string
		give string
		want []block
	}{
		{
			name: "commands without comments",
			give: "# t\n\n```sh\ngo run .   # demo\n\ngo test ./...\n```\ntext\n```go\nx := 1\n```\n",
			want: []block{
				{line: 3, lang: "sh", body: []string{"go run .   # demo", "", "go test ./..."}},
				{line: 9, lang: "go", body: []string{"x := 1"}},
			},
		},
		{
			name: "unclosed block",
			give: "```sh\ngo test\n",
			want: nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := fencedBlocks(tt.give)
			assert.Equal(t, tt.want, got)
		})
	}
	assert.Equal(t, []string{"go run .", "go test ./..."}, fencedBlocks(tests[0].give)[0].commands())
}
