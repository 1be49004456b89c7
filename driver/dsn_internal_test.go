package driver

import "testing"

func TestParseDSN(t *testing.T) {
	tests := []struct {
		give     string
		wantNS   string
		wantHost string
		wantPort int
	}{
		{give: "postgres://user:secret@db.example:6432/app?sslmode=disable", wantNS: "app", wantHost: "db.example", wantPort: 6432},
		{give: "postgresql://localhost/app", wantNS: "app", wantHost: "localhost", wantPort: 5432},
		{give: "host=10.0.0.1 port=5433 dbname='my db' password='se cret' user=u", wantNS: "my db", wantHost: "10.0.0.1", wantPort: 5433},
		{give: "host=/var/run/postgresql dbname=app", wantNS: "app"},
		{give: "root:secret@tcp(127.0.0.1:3306)/test?multiStatements=true", wantNS: "test", wantHost: "127.0.0.1", wantPort: 3306},
		{give: "user@tcp([::1]:3307)/shop", wantNS: "shop", wantHost: "::1", wantPort: 3307},
		{give: "user:p@ss/word@tcp(db:3306)/x", wantNS: "x", wantHost: "db", wantPort: 3306},
		{give: "user@unix(/tmp/mysql.sock)/x", wantNS: "x"},
		{give: "/dbonly", wantNS: "dbonly", wantHost: "127.0.0.1", wantPort: 3306},
		{give: "file:test.db?mode=memory"},
		{give: ":memory:"},
		{give: ""},
	}
	for _, tt := range tests {
		ns, host, port := parseDSN(tt.give)
		if ns != tt.wantNS || host != tt.wantHost || port != tt.wantPort {
			t.Errorf("parseDSN(%q): got %q %q %d, want %q %q %d", tt.give, ns, host, port, tt.wantNS, tt.wantHost, tt.wantPort)
		}
		for _, secret := range []string{"secret", "se cret", "p@ss"} {
			if ns == secret || host == secret {
				t.Errorf("parseDSN(%q) returned a password", tt.give)
			}
		}
	}
}
