package sqlvigil_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"

	"github.com/sqlvigil/sqlvigil"
	"github.com/sqlvigil/sqlvigil/driver"
	"github.com/sqlvigil/sqlvigil/internal/fakedriver"
	"github.com/sqlvigil/sqlvigil/sqlstmt"
)

func TestRegister(t *testing.T) {
	fd := fakedriver.New(fakedriver.Config{})
	tests := []struct {
		name    string
		give    string
		drv     *fakedriver.Driver
		opts    []sqlvigil.Option
		wantErr error
	}{
		{name: "registers", give: "vigil-test-fake", drv: fd, opts: []sqlvigil.Option{sqlvigil.WithDialect(sqlstmt.PostgreSQL)}},
		{name: "same name again", give: "vigil-test-fake", drv: fd, opts: []sqlvigil.Option{sqlvigil.WithDialect(sqlstmt.PostgreSQL)}, wantErr: sqlvigil.ErrRegistered},
		{name: "name of another driver", give: "sqlite", drv: fd, opts: []sqlvigil.Option{sqlvigil.WithDialect(sqlstmt.SQLite)}, wantErr: sqlvigil.ErrRegistered},
		{name: "unknown dialect", give: "vigil-test-nodialect", drv: fd, wantErr: driver.ErrUnknownDialect},
		{name: "empty name", give: "", drv: fd, wantErr: driver.ErrConfig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := sqlvigil.Register(tt.give, tt.drv, tt.opts...)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("got %v, want %v", err, tt.wantErr)
			}
		})
	}
	db, err := sql.Open("vigil-test-fake", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("UPDATE t SET x = 1"); err != nil {
		t.Errorf("exec through the registered driver: %v", err)
	}
	if got := fd.Counts.Execs.Load(); got != 1 {
		t.Errorf("driver execs: got %d, want 1", got)
	}
	if err := sqlvigil.Register("vigil-test-nil", nil, sqlvigil.WithDialect(sqlstmt.MySQL)); !errors.Is(err, driver.ErrConfig) {
		t.Errorf("nil driver: got %v, want ErrConfig", err)
	}
}

func TestOpen(t *testing.T) {
	if _, err := sqlvigil.Open("no-such-driver", ""); !errors.Is(err, sqlvigil.ErrNotRegistered) {
		t.Errorf("unknown driver: got %v, want ErrNotRegistered", err)
	}
	if _, err := sqlvigil.RegisterOver("no-such-driver"); !errors.Is(err, sqlvigil.ErrNotRegistered) {
		t.Errorf("RegisterOver an unknown driver: got %v, want ErrNotRegistered", err)
	}
	db, err := sqlvigil.Open("sqlite", "file:open_test?mode=memory&cache=shared")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRowContext(context.Background(), "SELECT 7").Scan(&n); err != nil || n != 7 {
		t.Errorf("got %d, %v", n, err)
	}
}

func TestOpenDBClosesConnector(t *testing.T) {
	fd := fakedriver.New(fakedriver.Config{Closer: true})
	db, err := sqlvigil.OpenDB(fd.Connector(), sqlvigil.WithDialect(sqlstmt.PostgreSQL))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Ping(); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if got := fd.Counts.ConnectorCloses.Load(); got != 1 {
		t.Errorf("connector closes: got %d, want 1", got)
	}
	if _, err := sqlvigil.OpenDB(fd.Connector()); !errors.Is(err, driver.ErrUnknownDialect) {
		t.Errorf("unknown dialect: got %v, want ErrUnknownDialect", err)
	}
}
