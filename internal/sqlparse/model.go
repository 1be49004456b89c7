package sqlparse

// The analyser fills in the public statement model of package sqlstmt; it
// uses the model under its own names.

import "github.com/sqlvigil/sqlvigil/sqlstmt"

// The statement model (see package sqlstmt).
type (
	Dialect      = sqlstmt.Dialect
	Kind         = sqlstmt.Kind
	ObjectType   = sqlstmt.ObjectType
	Table        = sqlstmt.Table
	Where        = sqlstmt.Where
	Restriction  = sqlstmt.Restriction
	Column       = sqlstmt.Column
	Store        = sqlstmt.Store
	Statement    = sqlstmt.Statement
	Setting      = sqlstmt.Setting
	SettingScope = sqlstmt.SettingScope
	Script       = sqlstmt.Script
	Placeholders = sqlstmt.Placeholders
)

// The model's constants.
const (
	DialectUnknown      = sqlstmt.DialectUnknown
	PostgreSQL          = sqlstmt.PostgreSQL
	MySQL               = sqlstmt.MySQL
	SQLite              = sqlstmt.SQLite
	RestrictionUnknown  = sqlstmt.RestrictionUnknown
	RestrictionNoWrites = sqlstmt.RestrictionNoWrites
	RestrictionAll      = sqlstmt.RestrictionAll
	RestrictionMissing  = sqlstmt.RestrictionMissing
	ScopeUnknown        = sqlstmt.ScopeUnknown
	ScopeSession        = sqlstmt.ScopeSession
	ScopeTransaction    = sqlstmt.ScopeTransaction
	ScopeGlobal         = sqlstmt.ScopeGlobal
	ScopePersist        = sqlstmt.ScopePersist
	ScopeDatabase       = sqlstmt.ScopeDatabase
	ScopeServer         = sqlstmt.ScopeServer
)

// Statement kinds (see sqlstmt.Kind).
const (
	KindUnknown       Kind = ""
	KindSelect        Kind = "SELECT"
	KindInsert        Kind = "INSERT"
	KindUpdate        Kind = "UPDATE"
	KindDelete        Kind = "DELETE"
	KindMerge         Kind = "MERGE"
	KindReplace       Kind = "REPLACE" // MySQL REPLACE, SQLite REPLACE / INSERT OR REPLACE
	KindCreate        Kind = "CREATE"
	KindAlter         Kind = "ALTER"
	KindDrop          Kind = "DROP"
	KindTruncate      Kind = "TRUNCATE"
	KindRename        Kind = "RENAME"
	KindComment       Kind = "COMMENT" // COMMENT ON
	KindGrant         Kind = "GRANT"
	KindRevoke        Kind = "REVOKE"
	KindCopy          Kind = "COPY"      // PostgreSQL COPY
	KindLoadData      Kind = "LOAD DATA" // MySQL LOAD DATA / LOAD XML
	KindCall          Kind = "CALL"
	KindDo            Kind = "DO"
	KindPrepare       Kind = "PREPARE"
	KindExecute       Kind = "EXECUTE"
	KindDeallocate    Kind = "DEALLOCATE"
	KindSet           Kind = "SET"
	KindReset         Kind = "RESET"
	KindShow          Kind = "SHOW"
	KindBegin         Kind = "BEGIN"
	KindCommit        Kind = "COMMIT"
	KindRollback      Kind = "ROLLBACK"
	KindSavepoint     Kind = "SAVEPOINT"
	KindRelease       Kind = "RELEASE"
	KindExplain       Kind = "EXPLAIN"
	KindLock          Kind = "LOCK"
	KindUnlock        Kind = "UNLOCK"
	KindVacuum        Kind = "VACUUM"
	KindAnalyze       Kind = "ANALYZE"
	KindUse           Kind = "USE"
	KindAttach        Kind = "ATTACH" // SQLite ATTACH / DETACH
	KindPragma        Kind = "PRAGMA" // SQLite PRAGMA
	KindListen        Kind = "LISTEN" // PostgreSQL LISTEN / NOTIFY / UNLISTEN
	KindCheckpoint    Kind = "CHECKPOINT"
	KindDiscard       Kind = "DISCARD"
	KindReindex       Kind = "REINDEX"
	KindCluster       Kind = "CLUSTER"
	KindRefresh       Kind = "REFRESH" // REFRESH MATERIALIZED VIEW
	KindSecurityLabel Kind = "SECURITY LABEL"
	KindImport        Kind = "IMPORT"  // IMPORT FOREIGN SCHEMA
	KindHandler       Kind = "HANDLER" // MySQL HANDLER
	KindFlush         Kind = "FLUSH"   // MySQL FLUSH, KILL, SHUTDOWN and other server administration
	KindValues        Kind = "VALUES"  // a bare VALUES list
	KindTable         Kind = "TABLE"   // PostgreSQL TABLE name
	KindOther         Kind = "OTHER"   // recognised, but in no class above
)

// Object types (see sqlstmt.ObjectType).
const (
	ObjectUnknown          ObjectType = ""
	ObjectNone             ObjectType = "NONE" // not a DDL statement
	ObjectTable            ObjectType = "TABLE"
	ObjectView             ObjectType = "VIEW"
	ObjectMaterializedView ObjectType = "MATERIALIZED VIEW"
	ObjectIndex            ObjectType = "INDEX"
	ObjectSequence         ObjectType = "SEQUENCE"
	ObjectSchema           ObjectType = "SCHEMA"
	ObjectDatabase         ObjectType = "DATABASE"
	ObjectFunction         ObjectType = "FUNCTION"
	ObjectProcedure        ObjectType = "PROCEDURE"
	ObjectTrigger          ObjectType = "TRIGGER"
	ObjectDataType         ObjectType = "TYPE" // CREATE TYPE, DOMAIN
	ObjectExtension        ObjectType = "EXTENSION"
	ObjectRole             ObjectType = "ROLE" // ROLE, USER, GROUP
	ObjectPolicy           ObjectType = "POLICY"
	ObjectTablespace       ObjectType = "TABLESPACE"
	ObjectOther            ObjectType = "OTHER"
)
