package driver

import (
	"context"
	"time"

	"github.com/sqlvigil/sqlvigil/internal/sqlmw"
)

var _ sqlmw.ConnectorCloseInterceptor = (*interceptor)(nil)

// flushTimeout bounds how long closing a sql.DB waits for the auditor to
// hand its waiting spans to the tracer provider.
const flushTimeout = 5 * time.Second

// ConnectorClose hands the spans the auditor keeps for its next batch to
// the tracer provider when the sql.DB closes, so that a program which
// closes its database before shutting the provider down loses none.
func (i *interceptor) ConnectorClose() {
	if i.cfg.auditor == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), flushTimeout)
	defer cancel()
	_ = i.cfg.auditor.Flush(ctx)
}
