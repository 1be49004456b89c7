package driver

import (
	"testing"

	"github.com/lib/pq"

	"github.com/sqlvigil/sqlvigil/internal/sqlmw"
	"github.com/sqlvigil/sqlvigil/sqlstmt"
)

func TestDialectOf(t *testing.T) {
	tests := []struct {
		give string
		want sqlstmt.Dialect
	}{
		{"github.com/lib/pq", sqlstmt.PostgreSQL},
		{"github.com/jackc/pgx/v5/stdlib", sqlstmt.PostgreSQL},
		{"github.com/jackc/pgx/v4/stdlib", sqlstmt.PostgreSQL},
		{"github.com/go-sql-driver/mysql", sqlstmt.MySQL},
		{"modernc.org/sqlite", sqlstmt.SQLite},
		{"github.com/mattn/go-sqlite3", sqlstmt.SQLite},
		{"github.com/lib/pqx", sqlstmt.DialectUnknown},
		{"github.com/jackc/pgx/v5", sqlstmt.DialectUnknown},
		{"", sqlstmt.DialectUnknown},
	}
	for _, tt := range tests {
		if got := dialectOf(tt.give); got != tt.want {
			t.Errorf("dialectOf(%q): got %v, want %v", tt.give, got, tt.want)
		}
	}
}

func TestDetectDialectThroughWrappers(t *testing.T) {
	d := &pq.Driver{}
	if got := detectDialect(d); got != sqlstmt.PostgreSQL {
		t.Errorf("pq driver: got %v", got)
	}
	w := sqlmw.Driver(sqlmw.Driver(d, sqlmw.NullInterceptor{}), sqlmw.NullInterceptor{})
	if got := detectDialect(w); got != sqlstmt.PostgreSQL {
		t.Errorf("twice-wrapped pq driver: got %v", got)
	}
	c, err := pq.NewConnector("")
	if err != nil {
		t.Fatal(err)
	}
	if got := detectDialect(sqlmw.Connector(c, sqlmw.NullInterceptor{})); got != sqlstmt.PostgreSQL {
		t.Errorf("wrapped pq connector: got %v", got)
	}
	if got := detectDialect(nil); got != sqlstmt.DialectUnknown {
		t.Errorf("nil: got %v", got)
	}
}
