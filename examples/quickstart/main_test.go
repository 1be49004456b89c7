package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// The quickstart is the README's first command: it must keep showing what
// it claims.
func TestQuickstart(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), &out); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	got := out.String()
	agentPart, rest, ok := strings.Cut(got, "2. support-bot")
	if !ok {
		t.Fatalf("output lacks step 2:\n%s", got)
	}
	for _, clear := range []string{"ada@example.com", "123-45-6789", "alan@example.org"} {
		if strings.Contains(agentPart, clear) {
			t.Errorf("the agent saw %q in clear:\n%s", clear, agentPart)
		}
		if !strings.Contains(rest, clear) {
			t.Errorf("dana (pii:read) did not see %q in clear:\n%s", clear, rest)
		}
	}
	for _, want := range []string{
		"****@example.com",
		"DROP TABLE customers               -> blocked by destructive-ddl",
		"-> blocked by missing-where",
		"approved by carol",
		"masked=email(email)x2,ssn(ssn)x2",
		"allow  SELECT payroll         rule=tables           rows=2 approved-by=carol",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
}
