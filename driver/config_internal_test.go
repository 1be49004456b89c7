package driver

import (
	"testing"

	"github.com/lib/pq"

	"github.com/sqlvigil/sqlvigil/internal/sqlmw"
)

func TestDialectOf(t *testing.T) {
	tests := []struct {
		give string
		want Dialect
	}{
		{"github.com/lib/pq", PostgreSQL},
		{"github.com/jackc/pgx/v5/stdlib", PostgreSQL},
		{"github.com/jackc/pgx/v4/stdlib", PostgreSQL},
		{"github.com/go-sql-driver/mysql", MySQL},
		{"modernc.org/sqlite", SQLite},
		{"github.com/mattn/go-sqlite3", SQLite},
		{"github.com/lib/pqx", DialectUnknown},
		{"github.com/jackc/pgx/v5", DialectUnknown},
		{"", DialectUnknown},
	}
	for _, tt := range tests {
		if got := dialectOf(tt.give); got != tt.want {
			t.Errorf("dialectOf(%q): got %v, want %v", tt.give, got, tt.want)
		}
	}
}

func TestDetectDialectThroughWrappers(t *testing.T) {
	d := &pq.Driver{}
	if got := detectDialect(d); got != PostgreSQL {
		t.Errorf("pq driver: got %v", got)
	}
	w := sqlmw.Driver(sqlmw.Driver(d, sqlmw.NullInterceptor{}), sqlmw.NullInterceptor{})
	if got := detectDialect(w); got != PostgreSQL {
		t.Errorf("twice-wrapped pq driver: got %v", got)
	}
	c, err := pq.NewConnector("")
	if err != nil {
		t.Fatal(err)
	}
	if got := detectDialect(sqlmw.Connector(c, sqlmw.NullInterceptor{})); got != PostgreSQL {
		t.Errorf("wrapped pq connector: got %v", got)
	}
	if got := detectDialect(nil); got != DialectUnknown {
		t.Errorf("nil: got %v", got)
	}
}
