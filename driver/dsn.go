package driver

import (
	"net"
	"net/url"
	"strconv"
	"strings"
)

// parseDSN reads the database name, server host and port from a DSN in
// the forms lib/pq, pgx and go-sql-driver/mysql take, for audit records.
// It never reads a user or a password. Unrecognised forms give nothing.
func parseDSN(dsn string) (ns, host string, port int) {
	dsn = strings.TrimSpace(dsn)
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		u, err := url.Parse(dsn)
		if err != nil {
			return "", "", 0
		}
		return strings.TrimPrefix(u.Path, "/"), u.Hostname(), portOr(u.Port(), 5432)
	case strings.HasPrefix(dsn, "file:"), strings.Contains(dsn, "://"):
		return "", "", 0
	case isKeyValue(dsn):
		kv := keyValues(dsn)
		if kv["host"] == "" || strings.HasPrefix(kv["host"], "/") {
			return kv["dbname"], "", 0
		}
		return kv["dbname"], kv["host"], portOr(kv["port"], 5432)
	default:
		return mysqlDSN(dsn)
	}
}

func portOr(s string, def int) int {
	if s == "" {
		return def
	}
	p, err := strconv.Atoi(s)
	if err != nil || p < 0 || p > 65535 {
		return 0
	}
	return p
}

// isKeyValue reports whether dsn is libpq's "key=value key=value" form.
func isKeyValue(dsn string) bool {
	eq := strings.IndexByte(dsn, '=')
	if eq <= 0 {
		return false
	}
	for _, r := range dsn[:eq] {
		if !(r >= 'a' && r <= 'z' || r == '_') {
			return false
		}
	}
	return true
}

// keyValues parses libpq's key/value form, with single-quoted values and
// backslash escapes.
func keyValues(dsn string) map[string]string {
	kv := map[string]string{}
	s := dsn
	for {
		s = strings.TrimLeft(s, " \t\n\r")
		eq := strings.IndexByte(s, '=')
		if eq <= 0 {
			return kv
		}
		key := strings.TrimSpace(s[:eq])
		s = strings.TrimLeft(s[eq+1:], " \t")
		var val strings.Builder
		if strings.HasPrefix(s, "'") {
			s = s[1:]
			for len(s) > 0 && s[0] != '\'' {
				if s[0] == '\\' && len(s) > 1 {
					s = s[1:]
				}
				val.WriteByte(s[0])
				s = s[1:]
			}
			if len(s) > 0 {
				s = s[1:]
			}
		} else {
			end := strings.IndexAny(s, " \t\n\r")
			if end < 0 {
				end = len(s)
			}
			val.WriteString(s[:end])
			s = s[end:]
		}
		kv[key] = val.String()
	}
}

// mysqlDSN reads go-sql-driver/mysql's
// [user[:password]@][net[(addr)]]/dbname[?params] form.
func mysqlDSN(dsn string) (ns, host string, port int) {
	if q := strings.IndexByte(dsn, '?'); q >= 0 {
		dsn = dsn[:q]
	}
	slash := strings.LastIndexByte(dsn, '/')
	if slash < 0 {
		return "", "", 0
	}
	ns = dsn[slash+1:]
	rest := dsn[:slash]
	if at := strings.LastIndexByte(rest, '@'); at >= 0 {
		rest = rest[at+1:]
	}
	netw, addr := rest, ""
	if open := strings.IndexByte(rest, '('); open >= 0 && strings.HasSuffix(rest, ")") {
		netw, addr = rest[:open], rest[open+1:len(rest)-1]
	}
	if netw != "" && netw != "tcp" && netw != "tcp6" {
		return ns, "", 0
	}
	if addr == "" {
		return ns, "127.0.0.1", 3306
	}
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		return ns, addr, 3306
	}
	return ns, h, portOr(p, 3306)
}
