package audit

import (
	"strconv"
	"testing"
)

func TestPackagePath(t *testing.T) {
	tests := []struct{ give, want string }{
		{"database/sql.(*DB).QueryContext", "database/sql"},
		{"gorm.io/gorm.(*DB).Find", "gorm.io/gorm"},
		{"github.com/sqlvigil/sqlvigil/driver.(*conn).QueryContext", "github.com/sqlvigil/sqlvigil/driver"},
		{"main.main", "main"},
		{"main.run.func1", "main"},
		{"example.com/app/store.(*Store).Get.func2", "example.com/app/store"},
		{"gopkg.in/gorp%2ev2.(*DbMap).Select", "gopkg.in/gorp.v2"},
	}
	for _, tt := range tests {
		if got := packagePath(tt.give); got != tt.want {
			t.Errorf("packagePath(%q) = %q, want %q", tt.give, got, tt.want)
		}
	}
}

func TestSkipped(t *testing.T) {
	f := newCallerFinder([]string{"example.com/app/dbutil"})
	tests := []struct {
		fn, file string
		want     bool
	}{
		{"database/sql.(*DB).QueryContext", "/go/src/database/sql/sql.go", true},
		{"runtime.goexit", "/go/src/runtime/asm.s", true},
		{"github.com/sqlvigil/sqlvigil/driver.(*conn).QueryContext", "/m/driver/conn.go", true},
		{"github.com/sqlvigil/sqlvigil.Open", "/m/sqlvigil.go", true},
		{"github.com/sqlvigil/sqlvigil/internal/sqlmw.(*wrappedConn).QueryContext", "/m/internal/sqlmw/conn.go", true},
		{"github.com/sqlvigil/sqlvigil/examples/jaeger.run", "/m/examples/jaeger/main.go", false},
		{"github.com/sqlvigil/sqlvigil/e2e.TestJaeger", "/m/e2e/jaeger_test.go", false},
		{"github.com/sqlvigil/sqlvigil/driver_test.TestX", "/m/driver/x_test.go", false},
		{"github.com/sqlvigil/sqlvigil/driver.TestY", "/m/driver/y_test.go", false},
		{"github.com/sqlvigil/sqlvigilant/x.F", "/x/x.go", false},
		{"github.com/ngrok/sqlmw.(*wrappedConn).ExecContext", "/x/conn.go", true},
		{"gorm.io/gorm.(*DB).Find", "/x/finisher_api.go", true},
		{"gorm.io/driver/postgres.Dialector.Initialize", "/x/postgres.go", true},
		{"github.com/jmoiron/sqlx.(*DB).Select", "/x/sqlx.go", true},
		{"github.com/uptrace/bun.(*SelectQuery).Scan", "/x/query_select.go", true},
		{"entgo.io/ent/dialect/sql.(*Conn).Query", "/x/driver.go", true},
		{"gopkg.in/gorp%2ev2.(*DbMap).Select", "/x/db.go", true},
		{"example.com/app/dbutil.Query", "/x/dbutil.go", true},
		{"example.com/app/dbutilx.Query", "/x/dbutil.go", false},
		{"example.com/app/store/db.(*Queries).GetCustomer", "/x/query.sql.go", false}, // sqlc output
		{"main.main", "/x/main.go", false},
	}
	for _, tt := range tests {
		if got := f.skipped(tt.fn, tt.file); got != tt.want {
			t.Errorf("skipped(%q) = %v, want %v", tt.fn, got, tt.want)
		}
	}
}

// BenchmarkCallerFind measures finding the caller below frames that are
// skipped, as behind database/sql and the driver (about 15 frames).
func BenchmarkCallerFind(b *testing.B) {
	for _, depth := range []int{0, 15, 30} {
		b.Run(strconv.Itoa(depth), func(b *testing.B) {
			f := newCallerFinder([]string{modulePath + "/audit"})
			skipFrames(depth, func() {
				for b.Loop() {
					if _, ok := f.find(); !ok {
						b.Fatal("no caller")
					}
				}
			})
		})
	}
}

// skipFrames calls f under n more frames that the finder is told to skip.
//
//go:noinline
func skipFrames(n int, f func()) {
	if n == 0 {
		f()
		return
	}
	skipFrames(n-1, f)
}
