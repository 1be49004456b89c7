package audit

import (
	"go.opentelemetry.io/otel/attribute"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"

	"github.com/sqlvigil/sqlvigil/identity"
)

// Attribute keys this package sets beyond the OpenTelemetry semantic
// conventions, whose own keys (semconv) are used wherever one exists. They
// are listed for readers on [Auditor]; they are unexported because users
// read them by name in a trace viewer, not in Go. The gen_ai.* keys are the
// conventions' names for agents and tool calls; the Go semconv package
// dropped them after v1.41.0 while they moved to their own registry, so
// they are spelled out here.
const (
	// Identity.
	identityKindKey      = attribute.Key("sqlvigil.identity.kind")
	identityTenantKey    = attribute.Key("sqlvigil.identity.tenant")
	identityServiceKey   = attribute.Key("sqlvigil.identity.service")
	identityPurposeKey   = attribute.Key("sqlvigil.identity.purpose")
	identityTicketKey    = attribute.Key("sqlvigil.identity.ticket")
	identityUntrustedKey = attribute.Key("sqlvigil.identity.untrusted")
	agentOnBehalfOfKey   = attribute.Key("sqlvigil.agent.on_behalf_of")
	genAIAgentNameKey    = attribute.Key("gen_ai.agent.name")
	genAIRequestModelKey = attribute.Key("gen_ai.request.model")
	genAIToolNameKey     = attribute.Key("gen_ai.tool.name")
	genAIToolCallIDKey   = attribute.Key("gen_ai.tool.call.id")

	// Governance: the guard's verdict.
	decisionKey         = attribute.Key("sqlvigil.decision")
	ruleKey             = attribute.Key("sqlvigil.rule")
	reasonKey           = attribute.Key("sqlvigil.reason")
	modeKey             = attribute.Key("sqlvigil.mode")
	approvalIDKey       = attribute.Key("sqlvigil.approval.id")
	approvalReviewerKey = attribute.Key("sqlvigil.approval.reviewer")

	// The statement.
	methodKey        = attribute.Key("sqlvigil.method")
	tablesReadKey    = attribute.Key("sqlvigil.tables.read")
	tablesWrittenKey = attribute.Key("sqlvigil.tables.written")
	stackedKey       = attribute.Key("sqlvigil.stacked")
	completeKey      = attribute.Key("sqlvigil.complete")
	argsKey          = attribute.Key("sqlvigil.args")
	recordIDKey      = attribute.Key("sqlvigil.audit.record_id")

	// The outcome.
	rowsAffectedKey   = attribute.Key("sqlvigil.rows_affected")
	maskedColumnsKey  = attribute.Key("sqlvigil.masked.columns")
	maskedRulesKey    = attribute.Key("sqlvigil.masked.rules")
	maskedStrategyKey = attribute.Key("sqlvigil.masked.strategies")
	maskedCountsKey   = attribute.Key("sqlvigil.masked.counts")
	maskedValuesKey   = attribute.Key("sqlvigil.masked.values")
	// rowsTruncatedKey is true when a read budget ended the rows;
	// budgetRuleKey names the rule whose budget it was.
	rowsTruncatedKey = attribute.Key("sqlvigil.rows.truncated")
	budgetRuleKey    = attribute.Key("sqlvigil.budget.rule")
	// maskRuleKey and maskColumnKey label the sqlvigil.mask.values metric.
	maskRuleKey     = attribute.Key("sqlvigil.mask.rule")
	maskColumnKey   = attribute.Key("sqlvigil.mask.column")
	errorTextKey    = attribute.Key("sqlvigil.error.text")
	txReadOnlyKey   = attribute.Key("sqlvigil.tx.read_only")
	txIsolationKey  = attribute.Key("sqlvigil.tx.isolation")
	txEndKey        = attribute.Key("sqlvigil.tx.end")
	txStatementsKey = attribute.Key("sqlvigil.tx.statements")
)

// identityAttrPrefix prefixes the identity attributes recorded with
// WithIdentityAttributes.
const identityAttrPrefix = "sqlvigil.identity.attr."

// identityAttrs appends the attributes of id. Identity.Attributes are
// recorded only when named by WithIdentityAttributes, the name (personal
// data) only with WithAllAttributes.
func identityAttrs(kv []attribute.KeyValue, id identity.Identity, keys []string, all bool) []attribute.KeyValue {
	for _, k := range keys {
		if v, ok := id.Attributes[k]; ok {
			kv = append(kv, attribute.String(identityAttrPrefix+k, v))
		}
	}
	if id.Kind != identity.KindUnspecified {
		kv = append(kv, identityKindKey.String(id.Kind.String()))
	}
	kv = appendStr(kv, semconv.UserIDKey, id.Subject)
	if all {
		kv = appendStr(kv, semconv.UserFullNameKey, id.Name)
	}
	if len(id.Roles) > 0 {
		kv = append(kv, semconv.UserRolesKey.StringSlice(id.Roles))
	}
	kv = appendStr(kv, identityTenantKey, id.Tenant)
	kv = appendStr(kv, identityServiceKey, id.Service)
	kv = appendStr(kv, identityPurposeKey, id.Purpose)
	kv = appendStr(kv, identityTicketKey, id.Ticket)
	if id.Untrusted {
		kv = append(kv, identityUntrustedKey.Bool(true))
	}
	if a := id.Agent; a != nil {
		kv = appendStr(kv, genAIAgentNameKey, a.Name)
		kv = appendStr(kv, genAIRequestModelKey, a.Model)
		kv = appendStr(kv, genAIToolNameKey, a.Tool)
		kv = appendStr(kv, genAIToolCallIDKey, a.ToolCallID)
		kv = appendStr(kv, agentOnBehalfOfKey, a.OnBehalfOf)
	}
	return kv
}

func appendStr(kv []attribute.KeyValue, k attribute.Key, v string) []attribute.KeyValue {
	if v == "" {
		return kv
	}
	return append(kv, k.String(v))
}
