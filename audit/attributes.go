package audit

import (
	"go.opentelemetry.io/otel/attribute"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"

	"github.com/sqlvigil/sqlvigil/identity"
)

// Attribute keys this package sets beyond the OpenTelemetry semantic
// conventions. The conventions' own keys are used wherever one exists:
// db.* (stable database conventions), server.*, error.type, code.*, user.id,
// user.full_name and user.roles. The gen_ai.* keys below are the
// conventions' names for agents and tool calls; the Go semconv package
// dropped them after v1.41.0 while they moved to their own registry, so they
// are spelled out here.
const (
	// Identity.
	IdentityKindKey      = attribute.Key("sqlvigil.identity.kind")
	IdentityTenantKey    = attribute.Key("sqlvigil.identity.tenant")
	IdentityServiceKey   = attribute.Key("sqlvigil.identity.service")
	IdentityPurposeKey   = attribute.Key("sqlvigil.identity.purpose")
	IdentityTicketKey    = attribute.Key("sqlvigil.identity.ticket")
	IdentityUntrustedKey = attribute.Key("sqlvigil.identity.untrusted")
	AgentOnBehalfOfKey   = attribute.Key("sqlvigil.agent.on_behalf_of")
	GenAIAgentNameKey    = attribute.Key("gen_ai.agent.name")
	GenAIRequestModelKey = attribute.Key("gen_ai.request.model")
	GenAIToolNameKey     = attribute.Key("gen_ai.tool.name")
	GenAIToolCallIDKey   = attribute.Key("gen_ai.tool.call.id")

	// Governance: the guard's verdict.
	DecisionKey         = attribute.Key("sqlvigil.decision")
	RuleKey             = attribute.Key("sqlvigil.rule")
	ReasonKey           = attribute.Key("sqlvigil.reason")
	ModeKey             = attribute.Key("sqlvigil.mode")
	ApprovalIDKey       = attribute.Key("sqlvigil.approval.id")
	ApprovalReviewerKey = attribute.Key("sqlvigil.approval.reviewer")

	// The statement.
	MethodKey        = attribute.Key("sqlvigil.method")
	TablesReadKey    = attribute.Key("sqlvigil.tables.read")
	TablesWrittenKey = attribute.Key("sqlvigil.tables.written")
	StackedKey       = attribute.Key("sqlvigil.stacked")
	CompleteKey      = attribute.Key("sqlvigil.complete")
	ArgsKey          = attribute.Key("sqlvigil.args")
	RecordIDKey      = attribute.Key("sqlvigil.audit.record_id")

	// The outcome.
	RowsAffectedKey   = attribute.Key("sqlvigil.rows_affected")
	MaskedColumnsKey  = attribute.Key("sqlvigil.masked.columns")
	MaskedRulesKey    = attribute.Key("sqlvigil.masked.rules")
	MaskedStrategyKey = attribute.Key("sqlvigil.masked.strategies")
	MaskedCountsKey   = attribute.Key("sqlvigil.masked.counts")
	MaskedValuesKey   = attribute.Key("sqlvigil.masked.values")
	// RowsTruncatedKey is true when a read budget ended the rows;
	// BudgetRuleKey names the rule whose budget it was.
	RowsTruncatedKey = attribute.Key("sqlvigil.rows.truncated")
	BudgetRuleKey    = attribute.Key("sqlvigil.budget.rule")
	// MaskRuleKey and MaskColumnKey label the sqlvigil.mask.values metric.
	MaskRuleKey     = attribute.Key("sqlvigil.mask.rule")
	MaskColumnKey   = attribute.Key("sqlvigil.mask.column")
	ErrorTextKey    = attribute.Key("sqlvigil.error.text")
	TxReadOnlyKey   = attribute.Key("sqlvigil.tx.read_only")
	TxIsolationKey  = attribute.Key("sqlvigil.tx.isolation")
	TxEndKey        = attribute.Key("sqlvigil.tx.end")
	TxStatementsKey = attribute.Key("sqlvigil.tx.statements")
)

// Semantic-convention keys used here, re-exported for tests and readers.
const (
	DBSystemNameKey           = semconv.DBSystemNameKey
	DBNamespaceKey            = semconv.DBNamespaceKey
	DBOperationNameKey        = semconv.DBOperationNameKey
	DBCollectionNameKey       = semconv.DBCollectionNameKey
	DBQueryTextKey            = semconv.DBQueryTextKey
	DBQuerySummaryKey         = semconv.DBQuerySummaryKey
	DBResponseReturnedRowsKey = semconv.DBResponseReturnedRowsKey
	DBResponseStatusCodeKey   = semconv.DBResponseStatusCodeKey
	ErrorTypeKey              = semconv.ErrorTypeKey
	ServerAddressKey          = semconv.ServerAddressKey
	ServerPortKey             = semconv.ServerPortKey
	CodeFunctionNameKey       = semconv.CodeFunctionNameKey
	CodeFilePathKey           = semconv.CodeFilePathKey
	CodeLineNumberKey         = semconv.CodeLineNumberKey
	UserIDKey                 = semconv.UserIDKey
	UserFullNameKey           = semconv.UserFullNameKey
	UserRolesKey              = semconv.UserRolesKey
)

// IdentityAttrPrefix prefixes the identity attributes recorded with
// [WithIdentityAttributes].
const IdentityAttrPrefix = "sqlvigil.identity.attr."

// identityAttrs appends the attributes of id. Identity.Attributes are
// recorded only when named by WithIdentityAttributes, the name (personal
// data) only with WithAllAttributes.
func identityAttrs(kv []attribute.KeyValue, id identity.Identity, keys []string, all bool) []attribute.KeyValue {
	for _, k := range keys {
		if v, ok := id.Attributes[k]; ok {
			kv = append(kv, attribute.String(IdentityAttrPrefix+k, v))
		}
	}
	if id.Kind != identity.KindUnspecified {
		kv = append(kv, IdentityKindKey.String(id.Kind.String()))
	}
	kv = appendStr(kv, UserIDKey, id.Subject)
	if all {
		kv = appendStr(kv, UserFullNameKey, id.Name)
	}
	if len(id.Roles) > 0 {
		kv = append(kv, UserRolesKey.StringSlice(id.Roles))
	}
	kv = appendStr(kv, IdentityTenantKey, id.Tenant)
	kv = appendStr(kv, IdentityServiceKey, id.Service)
	kv = appendStr(kv, IdentityPurposeKey, id.Purpose)
	kv = appendStr(kv, IdentityTicketKey, id.Ticket)
	if id.Untrusted {
		kv = append(kv, IdentityUntrustedKey.Bool(true))
	}
	if a := id.Agent; a != nil {
		kv = appendStr(kv, GenAIAgentNameKey, a.Name)
		kv = appendStr(kv, GenAIRequestModelKey, a.Model)
		kv = appendStr(kv, GenAIToolNameKey, a.Tool)
		kv = appendStr(kv, GenAIToolCallIDKey, a.ToolCallID)
		kv = appendStr(kv, AgentOnBehalfOfKey, a.OnBehalfOf)
	}
	return kv
}

func appendStr(kv []attribute.KeyValue, k attribute.Key, v string) []attribute.KeyValue {
	if v == "" {
		return kv
	}
	return append(kv, k.String(v))
}
