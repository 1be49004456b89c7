package sqlparse_test

import (
	"testing"

	"github.com/sqlvigil/sqlvigil/internal/sqlparse"
)

// PostgreSQL ends a -- comment at a carriage return: what follows is code.
// MariaDB and SQLite end it at a newline only, as their engines do (the
// red-team look-alikes run these texts there): one statement.
func TestLineCommentCarriageReturn(t *testing.T) {
	tests := []struct {
		name string
		d    sqlparse.Dialect
		give string
		// wantDrop: the DROP must be seen as a statement.
		wantDrop bool
		// wantIncomplete: the text must be doubted.
		wantIncomplete bool
	}{
		{"pg stacked after CR", sqlparse.PostgreSQL, "SELECT 1 -- x\r; DROP TABLE victim", true, false},
		{"pg CRLF", sqlparse.PostgreSQL, "SELECT 1 -- x\r\nDROP TABLE victim", false, false},
		{"mysql CR inside comment", sqlparse.MySQL, "SELECT 1 -- x\r; DROP TABLE victim", false, false},
		{"mysql hash CR inside comment", sqlparse.MySQL, "SELECT 1 # x\r; DROP TABLE victim", false, false},
		{"sqlite CR inside comment", sqlparse.SQLite, "SELECT 1 -- x\r; DROP TABLE victim", false, false},
		{"mysql CRLF line ends", sqlparse.MySQL, "SELECT 1 -- x\r\nFROM t -- y\r\n", false, false},
		{"sqlite CRLF line ends", sqlparse.SQLite, "SELECT 1 -- x\r\nFROM t", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := sqlparse.Analyze(tt.d, tt.give)
			drop := false
			for _, st := range s.Statements {
				if st.Kind == sqlparse.KindDrop {
					drop = true
				}
			}
			if tt.wantDrop && !drop {
				t.Errorf("got statements %+v, want a DROP", s.Statements)
			}
			if !tt.wantDrop && len(s.Statements) != 1 {
				t.Errorf("got %d statements, want 1", len(s.Statements))
			}
			if tt.wantIncomplete && s.Complete {
				t.Errorf("got complete, want incomplete")
			}
			if !tt.wantIncomplete && !tt.wantDrop && !s.Complete {
				t.Errorf("got incomplete (%s), want complete", s.Reason)
			}
		})
	}
	// PostgreSQL: a WHERE continued after a CR is read as code.
	s := sqlparse.Analyze(sqlparse.PostgreSQL, "DELETE FROM victim WHERE id = 1 -- x\r OR true")
	if len(s.Statements) != 1 || !s.Statements[0].Where.Trivial {
		t.Errorf("got %+v, want one DELETE with a trivially true WHERE", s.Statements)
	}
}
